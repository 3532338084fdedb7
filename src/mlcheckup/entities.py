"""Azure ML entities for a monitored online deployment, checked offline by the SDK itself.

The builders return real ``azure.ai.ml.entities`` objects, the very objects that
``ml_client.online_endpoints.begin_create_or_update`` and
``ml_client.online_deployments.begin_create_or_update`` take in Azure mode. Offline,
:func:`validate` runs the SDK's own schema on them: dump to YAML, load the YAML back.

The traps of azure-ai-ml 1.35.2 are handled here so lessons do not meet them:

* ``ManagedOnlineEndpoint.dump(path)`` ignores ``path`` and writes nothing (:func:`to_yaml`
  writes it);
* ``DeploymentCollection(enabled=...)`` must be the *string* ``"true"``, a YAML boolean fails;
* ``DataCollector`` and ``DeploymentCollection`` log an "experimental class" warning to stderr
  (silenced here: nbgrader zeroes a test cell that writes to stderr);
* a failed load raises marshmallow's ``ValidationError``: it becomes
  :class:`mlcheckup.errors.ValidationError` with the SDK's message.

Taught in lesson 02.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import _sdk_yaml, _validate
from ._azureml_names import (  # DEFAULT_COLLECTIONS: the collections Azure model monitoring finds by name
    DEFAULT_COLLECTIONS,
    MAX_REQUEST_TIMEOUT_MS,
    check_collections,
    check_name,
    check_sampling_rate,
    collection_entry,
    collector_config,
)
from ._sdk_yaml import quiet_sdk
from .errors import ValidationError

__all__ = ["DEFAULT_IMAGE", "MAX_REQUEST_TIMEOUT_MS", "build_deployment", "build_endpoint", "build_environment",
           "build_model", "data_collector_config", "load_yaml", "request_settings", "to_yaml", "validate"]

#: Azure ML base image with conda; the conda file adds the inference server and the model's packages.
DEFAULT_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
_ROLLING_RATES = ("minute", "hour", "day")


def build_model(path: str | os.PathLike, name: str = "digits", version: str | int = "1",
                description: str | None = None):
    """A ``Model`` (custom_model) for a file or folder.

    In a deployment, ``AZUREML_MODEL_DIR`` is ``.../<name>/<version>`` and the file or folder
    keeps its own name below it (a folder ``model/`` gives ``$AZUREML_MODEL_DIR/model/...``).

    Taught in lesson 02.
    """
    from azure.ai.ml.entities import Model

    path = Path(path)
    if not path.exists():
        raise ValidationError(f"model path {path} does not exist; pass the folder or file the model was saved to")
    return Model(path=str(path.resolve()), name=name, version=str(version), type="custom_model",
                 description=description)


def build_environment(conda_file: str | os.PathLike, *, image: str = DEFAULT_IMAGE, name: str | None = None,
                      version: str | None = None):
    """An ``Environment`` from a base image and a conda file (anonymous unless ``name`` is given).

    Taught in lesson 02.
    """
    from azure.ai.ml.entities import Environment

    conda_file = Path(conda_file)
    if not conda_file.is_file():
        raise ValidationError(f"conda file {conda_file} does not exist; write one listing the scoring packages "
                              "(mlcheckup.projects.write_digits_project writes conda.yaml)")
    return Environment(image=image, conda_file=str(conda_file.resolve()), name=name, version=version)


def build_endpoint(name: str, *, auth_mode: str = "key", description: str | None = None, tags: dict | None = None):
    """A ``ManagedOnlineEndpoint``. Names are 3-32 characters: letters, digits and ``-``, starting with a letter.

    Taught in lesson 02.
    """
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    check_name("endpoint", name)
    return ManagedOnlineEndpoint(name=name, auth_mode=auth_mode, description=description, tags=tags or {})


def build_deployment(name: str, endpoint_name: str, *, model, code: str | os.PathLike, environment,
                     scoring_script: str = "score.py", instance_type: str = "Standard_DS3_v2",
                     instance_count: int = 1, app_insights: bool = True,
                     collections: tuple[str, ...] | None = DEFAULT_COLLECTIONS, sampling_rate: float = 1.0,
                     rolling_rate: str = "hour", environment_variables: dict | None = None,
                     request_settings=None):
    """A ``ManagedOnlineDeployment`` with model data collection and App Insights.

    Parameters
    ----------
    name, endpoint_name : str
        Deployment name (e.g. ``"blue"``) and its endpoint.
    model, environment
        From :func:`build_model` and :func:`build_environment`.
    code : path
        Folder holding ``scoring_script`` (uploaded as a whole in Azure).
    app_insights : bool, default True
        ``app_insights_enabled``: the inference server logs requests, ``print`` and exceptions.
    collections : tuple of str or None
        Collector names to enable (``model_inputs``, ``model_outputs``); None collects nothing.
    sampling_rate : float in (0, 1]
        Share of requests collected.
    rolling_rate : {"minute", "hour", "day"}
        How often Azure starts a new blob file.
    request_settings : dict or OnlineRequestSettings, optional
        ``max_concurrent_requests_per_instance``, ``request_timeout_ms``, checked by
        :func:`request_settings`; Azure's defaults (1 and 5000) when omitted.
        :meth:`mlcheckup.frontend.FrontEnd.from_deployment` enforces the same values locally.

    Taught in lesson 02; request settings in lesson 03.
    """
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment

    check_name("deployment", name)
    code = Path(code)
    if not (code / scoring_script).is_file():
        raise ValidationError(f"scoring script {code / scoring_script} does not exist; "
                              "code must be the folder that holds score.py")
    check_sampling_rate(sampling_rate)
    if collections:
        check_collections(collections)
    if rolling_rate.lower() not in _ROLLING_RATES:
        raise ValidationError(f"rolling_rate must be one of {_ROLLING_RATES} (got {rolling_rate!r})")
    return ManagedOnlineDeployment(
        name=name, endpoint_name=endpoint_name, model=model, environment=environment,
        code_configuration=CodeConfiguration(code=str(code.resolve()), scoring_script=scoring_script),
        instance_type=instance_type, instance_count=instance_count, app_insights_enabled=bool(app_insights),
        data_collector=_data_collector(collections, sampling_rate, rolling_rate),
        environment_variables=environment_variables or {},
        request_settings=None if request_settings is None else _request_settings_of(request_settings),
    )


def _request_settings_of(settings):
    """``settings`` (a dict or an ``OnlineRequestSettings``) checked by :func:`request_settings`."""
    from azure.ai.ml.entities import OnlineRequestSettings

    if isinstance(settings, OnlineRequestSettings):
        settings = {key: getattr(settings, key) for key in
                    ("max_concurrent_requests_per_instance", "request_timeout_ms", "max_queue_wait_ms")
                    if getattr(settings, key) is not None}
    if not isinstance(settings, dict):
        raise ValidationError("request_settings must be a dict such as {'max_concurrent_requests_per_instance': 4, "
                              "'request_timeout_ms': 3000} or an OnlineRequestSettings "
                              f"(got a {type(settings).__name__})")
    unknown = sorted(set(settings) - {"max_concurrent_requests_per_instance", "request_timeout_ms", "max_queue_wait_ms"})
    if unknown:
        raise ValidationError(f"unknown request setting(s) {unknown}; a managed online deployment has "
                              "max_concurrent_requests_per_instance and request_timeout_ms")
    return request_settings(**settings)


def request_settings(max_concurrent_requests_per_instance: int = 1, request_timeout_ms: int = 5000,
                     max_queue_wait_ms: int | None = None):
    """A deployment's ``OnlineRequestSettings``, with values Azure accepts.

    Parameters
    ----------
    max_concurrent_requests_per_instance : int, default 1
        Azure's front end processes ``2 x`` this many requests per instance at once and answers
        the next with 429.
    request_timeout_ms : int, default 5000
        A scoring call slower than this gets 408. 1 to 180,000 (:data:`MAX_REQUEST_TIMEOUT_MS`).
    max_queue_wait_ms : int, optional
        Deprecated for managed online endpoints (raise ``request_timeout_ms`` instead); refused here.

    Returns
    -------
    azure.ai.ml.entities.OnlineRequestSettings

    Raises
    ------
    ValidationError
        A value out of range, with the range and the received value.

    Examples
    --------
    >>> settings = request_settings(4, 3000)
    >>> settings.max_concurrent_requests_per_instance, settings.request_timeout_ms
    (4, 3000)

    Taught in lesson 03.
    """
    from azure.ai.ml.entities import OnlineRequestSettings

    if max_queue_wait_ms is not None:
        raise ValidationError(f"max_queue_wait_ms is deprecated for managed online endpoints (got {max_queue_wait_ms!r});"
                              " leave it out and raise request_timeout_ms instead")
    concurrency = _validate.whole("max_concurrent_requests_per_instance", max_concurrent_requests_per_instance, 1,
                                  words="of at least 1 (Azure's default is 1)")
    timeout = _validate.whole("request_timeout_ms", request_timeout_ms, 1, MAX_REQUEST_TIMEOUT_MS,
                              words=f"from 1 to {MAX_REQUEST_TIMEOUT_MS} (Azure's default is 5000)")
    return OnlineRequestSettings(max_concurrent_requests_per_instance=concurrency, request_timeout_ms=timeout)


def _data_collector(collections, sampling_rate: float, rolling_rate: str):
    if not collections:
        return None
    from azure.ai.ml.entities import DataCollector, DeploymentCollection

    with quiet_sdk():
        return DataCollector(
            collections={c: DeploymentCollection(enabled="true") for c in collections},  # a string, not a bool
            sampling_rate=float(sampling_rate), rolling_rate=rolling_rate.lower(),
        )


def data_collector_config(deployment) -> dict:
    """The collector config Azure writes for a deployment (``AZUREML_MDC_CONFIG_PATH`` points to it).

    Works on a deployment the SDK has already converted for sending (``DataCollector._to_rest_object``
    moves ``sampling_rate`` onto each collection and deletes it from the collector).

    A collection's own ``data:`` asset (name, path, version) only tells Azure where to store what
    is collected; it is not part of this config. A ``path`` other than Azure's default
    (``.../modelDataCollector/<endpoint>/<deployment>/<collection>``) is refused, since the local
    collector writes only the default layout.

    Returns
    -------
    dict
        ``{"collections": {"model_inputs": {"enabled": True, "sampleRatePercentage": 100}, ...},
        "runMode": "cloud"}`` (see :func:`mlcheckup.datacollector.collector_config`); no
        collections when the deployment has no data collector.

    Raises
    ------
    ValidationError
        If a collection stores its data at a path other than the default.
    """
    collector = getattr(deployment, "data_collector", None)
    entries = {}
    for name, collection in (collector.collections if collector else {}).items():
        _check_collection_data(deployment, name, getattr(collection, "data", None))
        rate = getattr(collection, "sampling_rate", None) or getattr(collector, "sampling_rate", None) or 1.0
        entries[name] = collection_entry(str(collection.enabled).lower() == "true", rate)
    return collector_config(entries)


def _check_collection_data(deployment, name: str, data) -> None:
    path = getattr(data, "path", None)
    if not path:
        return  # none, or a registered asset's id as Azure fills it in
    default = f"modelDataCollector/{deployment.endpoint_name}/{deployment.name}/{name}"
    if str(path).rstrip("/ ").endswith(default):
        return
    raise ValidationError(
        f"collection {name!r} stores its data at {path!r} (data_collector.collections.{name}.data.path); the local "
        f"collector writes only Azure's default layout .../{default}; remove data.path (Azure then uses "
        "that default) to run this deployment locally; it still validates for Azure")


def to_yaml(entity, path: str | os.PathLike | None = None, *, relative_to: str | os.PathLike | None = None) -> str:
    """The entity as Azure ML YAML; also written to ``path`` if given (even for an endpoint).

    Parameters
    ----------
    relative_to : path, optional
        Rewrite absolute paths inside this folder as paths relative to it (the SDK writes
        absolute ones), so the YAML can be committed and loaded from that folder.

    Taught in lesson 02.
    """
    base = Path(relative_to).resolve() if relative_to is not None else None
    return _sdk_yaml.to_yaml(entity, path, transform=(lambda data: _relative(data, base)) if base else None)


def _relative(value, base: Path):
    if isinstance(value, dict):
        return {k: _relative(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, base) for v in value]
    if isinstance(value, str) and value.startswith("/") and Path(value).is_relative_to(base):
        return os.path.relpath(value, base)
    return value


def load_yaml(source: str | os.PathLike):
    """Load an online endpoint or deployment YAML file (``az ml online-deployment create -f``) with the SDK.

    The kind is read from the file: a deployment has ``endpoint_name`` (or a deployment
    ``$schema``), an endpoint does not. Relative paths in a deployment (``code``, ``conda_file``)
    are resolved from the file's folder, as the CLI does.

    Parameters
    ----------
    source : path or str
        A YAML file, or the YAML text itself (then relative paths are resolved from a scratch folder).

    Returns
    -------
    ManagedOnlineEndpoint or ManagedOnlineDeployment

    Raises
    ------
    ValidationError
        With the schema's complaint, e.g. ``data_collector.collections.model_inputs.data.version: Not a
        valid string`` (Microsoft's custom-blob-storage example writes ``version: 1``; quote it).

    Taught in lesson 02.
    """
    import yaml
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    with _sdk_yaml.scratch_yaml("entity.yml") as scratch, quiet_sdk():
        path = _sdk_yaml.yaml_source(source, scratch)
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except yaml.YAMLError as error:
            raise ValidationError(f"{path} is not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise ValidationError(f"{path} holds a {type(data).__name__}, not an endpoint or deployment mapping")
        schema = str(data.get("$schema", "")).lower()
        is_deployment = "endpoint_name" in data or "deployment" in schema
        kind = "ManagedOnlineDeployment" if is_deployment else "ManagedOnlineEndpoint"
        if not is_deployment and "endpoint" not in schema and "auth_mode" not in data:
            raise ValidationError(f"{path} is neither an online endpoint (name, auth_mode) nor a deployment "
                                  "(name, endpoint_name, model, ...); mlcheckup loads only these two kinds")
        try:
            return (load_online_deployment if is_deployment else load_online_endpoint)(path)
        except Exception as error:
            raise ValidationError(f"the {kind} YAML does not pass the Azure ML schema: {_message(error)}") from None


def _loader(entity):
    from azure.ai.ml import load_environment, load_model, load_online_deployment, load_online_endpoint

    loaders = {"ManagedOnlineEndpoint": load_online_endpoint, "ManagedOnlineDeployment": load_online_deployment,
               "Model": load_model, "Environment": load_environment}
    kind = type(entity).__name__
    if kind not in loaders:
        raise ValidationError(f"cannot validate a {kind}; pass an endpoint, deployment, model or environment")
    return loaders[kind]


def _message(error: Exception) -> str:
    """The schema's own complaint, compact: ``{"field": ["problem"]}``."""
    details = _sdk_yaml.schema_details(error)
    return details[:500] if isinstance(details, str) else json.dumps(details)


def validate(entity):
    """Validate an entity with the SDK's own schema: dump it to YAML and load it back.

    Returns
    -------
    The entity loaded back from its YAML (same type).

    Raises
    ------
    ValidationError
        With the SDK's message, e.g. ``{"data_collector": {"sampling_rate": ["Sampling rate must
        be an number in range (0.0-1.0)"]}}``.

    Taught in lesson 02.
    """
    load = _loader(entity)
    kind = type(entity).__name__
    with _sdk_yaml.scratch_yaml() as path, quiet_sdk():
        try:
            to_yaml(entity, path)
            return load(path)
        except Exception as error:  # marshmallow, azure.ai.ml ValidationException, yaml errors
            raise ValidationError(f"the {kind} does not pass the Azure ML schema: {_message(error)}; "
                                  "fix the field named above (see the YAML reference for managed online "
                                  "deployments)") from error
