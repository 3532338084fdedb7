"""An Azure ML ``spark`` job that runs :func:`mlcheckup.drift.spark.compare` on serverless Spark.

Built and validated offline: :func:`spark_job` returns the azure-ai-ml ``SparkJob`` entity, and
:func:`validated_yaml` dumps it to YAML and loads it back with ``azure.ai.ml.load_job`` (the SDK's
own schema), failing with a :class:`~mlcheckup.errors.ValidationError` when the two differ. Loaded
back, the job runs as the submitting user (``identity: user_identity``), the SDK's default for
serverless Spark: that identity needs read access to the input folders.

The compute is the model monitor's: ``resources={"instance_type": "standard_e4s_v3",
"runtime_version": "3.4"}`` is the job form of ``ServerlessSparkCompute(runtime_version="3.4",
instance_type="standard_e4s_v3")`` (Spark 3.4, Python 3.10; E4s v3 nodes have 4 cores and 32 GiB).
The code folder is ``src/`` (the ``mlcheckup`` package), the entry is :mod:`._spark_run`. Runtime 3.4
ships older pandas and scipy than the course; on Azure add the course's pins through the session's
Python environment (``conf["spark.synapse.library.python.env"]``, a conda YAML) before submitting.
"""

from __future__ import annotations

from pathlib import Path

from .. import _validate
from ..errors import ValidationError

__all__ = ["INSTANCE_TYPE", "RUNTIME_VERSION", "spark_job", "validated_yaml"]

#: The serverless Spark runtime Azure's model monitor uses, and its default node size.
RUNTIME_VERSION = "3.4"
INSTANCE_TYPE = "standard_e4s_v3"
_SRC = Path(__file__).resolve().parents[2]
# What a YAML round trip must keep (the SDK fills identity: user_identity, and moves code into a component).
_KEPT = ("type", "entry", "conf", "args", "inputs", "outputs", "resources")


def spark_job(reference: str, production: str, *, numerical: str = "normalized_wasserstein_distance",
              categorical: str = "jensen_shannon_distance", instance_type: str = INSTANCE_TYPE,
              runtime_version: str = RUNTIME_VERSION, executor_instances: int = 2):
    """The Azure ML ``spark`` job computing the drift table of two parquet folders.

    Parameters
    ----------
    reference, production : str
        Paths or URIs of parquet folders (``azureml://datastores/...``, ``abfss://...``), read by Spark directly.
    numerical, categorical : str
        One metric per type, as the monitor's ``DataDriftMetricThreshold``.
    instance_type, runtime_version : str
        Serverless Spark node size and runtime (the monitor's defaults).
    executor_instances : int
        Executors (each 4 cores, 28 GiB on ``standard_e4s_v3``).

    Returns
    -------
    azure.ai.ml.entities.SparkJob
        Submit with ``ml_client.jobs.create_or_update(job)`` in Azure mode; never sent here.
    """
    executor_instances = _validate.whole("executor_instances", executor_instances, 1)
    from azure.ai.ml import Input, Output
    from azure.ai.ml.entities import SparkJob

    return SparkJob(
        display_name="mlcheckup drift on serverless Spark",
        code=str(_SRC),
        entry={"file": "mlcheckup/drift/_spark_run.py"},
        driver_cores=4, driver_memory="28g", executor_cores=4, executor_memory="28g",
        executor_instances=executor_instances,
        inputs={"reference": Input(type="uri_folder", path=reference, mode="direct"),
                "production": Input(type="uri_folder", path=production, mode="direct"),
                "numerical": numerical, "categorical": categorical},
        outputs={"drift": Output(type="uri_folder", mode="direct")},
        args=("--reference ${{inputs.reference}} --production ${{inputs.production}} "
              "--numerical ${{inputs.numerical}} --categorical ${{inputs.categorical}} --output ${{outputs.drift}}"),
        resources={"instance_type": instance_type, "runtime_version": runtime_version},
    )


def validated_yaml(job) -> str:
    """The job's YAML, after a dump → ``load_job`` round trip through azure-ai-ml's schema."""
    from azure.ai.ml import load_job

    from .._sdk_yaml import plain, quiet_sdk, schema_details, scratch_yaml, to_yaml

    try:
        with quiet_sdk():
            job._validate()  # the SDK's own checks before submission (instance types, dynamic allocation)
    except Exception as error:
        raise ValidationError(f"azure-ai-ml rejects the spark job: {schema_details(error)}") from None
    text = to_yaml(job)
    with scratch_yaml("spark-job.yml") as path:
        path.write_text(text)
        try:
            with quiet_sdk():
                loaded = load_job(path)
        except Exception as error:  # the SDK raises its own ValidationException / marshmallow errors
            raise ValidationError(f"azure-ai-ml rejects the spark job: {schema_details(error)}") from None
    before, after = plain(job), plain(loaded)
    changed = sorted(k for k in _KEPT if before.get(k) != after.get(k))
    changed += ["display_name"] if loaded.display_name != job.display_name else []
    if changed:
        raise ValidationError(f"the spark job changes in a YAML round trip, in {changed}")
    return text
