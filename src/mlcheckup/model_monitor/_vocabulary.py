"""The model monitor's vocabulary: what azure-ai-ml 1.35.2 accepts (private)."""

from __future__ import annotations

import re

RUNTIME_VERSIONS = ("3.4", "3.5")
INSTANCE_TYPES = ("standard_e4s_v3", "standard_e8s_v3", "standard_e16s_v3", "standard_e32s_v3", "standard_e64s_v3")
#: The YAML schema's spelling: "question_answering" (Microsoft's YAML comments) fails its load.
ML_TASKS = ("classification", "regression", "questionanswering")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: The signals Azure's create call adds to a schedule without signals (the SDK's
#: ``MonitorDefinition._populate_default_signal_information``), with what each sends.
DEFAULT_SIGNALS = {
    "data-drift-signal": "data drift on model_inputs, all features: normalized_wasserstein_distance 0.1 "
                         "(numerical), jensen_shannon_distance 0.1 (categorical)",
    "prediction-drift-signal": "prediction drift on model_outputs: normalized_wasserstein_distance 0.1 "
                               "(numerical), jensen_shannon_distance 0.1 (categorical)",
    "data-quality-signal": "data quality on model_inputs, all features: null_value_rate, "
                           "data_type_error_rate, out_of_bounds_rate 0.0 (both types)",
}
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
