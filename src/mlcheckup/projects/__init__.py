"""Model projects the course deploys: the code of a deployment and its model, written to a folder.

* :func:`write_digits_project`: the running example of lessons 02 and 05, a digits classifier
  (scikit-learn's bundled ``load_digits``) with a ``score.py`` that refuses bad input with a 4xx,
  collects its inputs and outputs and sends custom telemetry (:class:`DigitsProject`);
  :func:`load_digits_data` and :func:`digits_payload` give its data and a scoring request.

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

__all__ = ["N_TRAIN", "DigitsProject", "conda_environment", "digits_payload", "load_digits_data",
           "write_digits_project"]
