"""Model projects the course deploys: the code of a deployment and its model, written to a folder.

* :func:`write_digits_project`: the running example of lessons 02 and 05, a digits classifier
  (scikit-learn's bundled ``load_digits``) with a ``score.py`` that refuses bad input with a 4xx,
  collects its inputs and outputs and sends custom telemetry (:class:`DigitsProject`);
  :func:`load_digits_data` and :func:`digits_payload` give its data and a scoring request.

* :func:`write_payments_project`: the capstone's card-payment fraud model (lesson 07), trained on
  the synthetic ``datasets/payments.csv`` (:func:`generate_payments`, :func:`load_payments`), whose
  truth (a chargeback) arrives days later; :func:`fraud_probability` is the true fraud model and
  :func:`payment_features` / :func:`label_delays` draw new payments (:class:`PaymentsProject`).

A project folder deploys unchanged locally (the inference server) and to Azure ML. Scoring scripts
(``*_score.py``) are copied into a project as ``score.py``; they are not modules of this package.
"""

from ._digits import (
           N_TRAIN,
           DigitsProject,
           conda_environment,
           digits_payload,
           load_digits_data,
           write_digits_project,
)
from ._payments import (
           PAYMENT_COLUMNS,
           PAYMENT_FEATURES,
           PAYMENT_RANGES,
           PAYMENTS_ROWS,
           PAYMENTS_SEED,
           PAYMENTS_START,
           PaymentsProject,
           fraud_model,
           fraud_probability,
           generate_payments,
           label_delays,
           load_payments,
           payment_features,
           payments_payload,
           write_payments_project,
)

__all__ = ["N_TRAIN", "PAYMENTS_ROWS", "PAYMENTS_SEED", "PAYMENTS_START", "PAYMENT_COLUMNS", "PAYMENT_FEATURES",
           "PAYMENT_RANGES", "DigitsProject", "PaymentsProject", "conda_environment", "digits_payload",
           "fraud_model", "fraud_probability", "generate_payments", "label_delays", "load_digits_data",
           "load_payments", "payment_features", "payments_payload", "write_digits_project",
           "write_payments_project"]
