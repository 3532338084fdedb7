"""The azure-ai-ml YAML plumbing shared by :mod:`mlcheckup.entities` and :mod:`mlcheckup.model_monitor` (private).

* :func:`quiet_sdk` silences the SDK's "experimental class" warnings (nbgrader zeroes a test cell
  that writes to stderr);
* :func:`plain` and :func:`to_yaml` turn an entity into the YAML the SDK reads back;
* :func:`scratch_yaml` is a throw-away file for a dump → load round trip, and :func:`yaml_source`
  resolves "a path or YAML text" without ever writing next to the source;
* :func:`schema_details` digs the schema's own complaint out of what a ``load_*`` raised (a
  ``load_schedule`` failure is an *empty* ``NotImplementedError`` whose ``__context__`` holds it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from .errors import ValidationError


class _DropExperimental(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "experimental" not in record.getMessage()


@contextlib.contextmanager
def quiet_sdk():
    """Silence azure-ai-ml's "experimental class" warnings inside the block (nothing else)."""
    logger = logging.getLogger("azure.ai.ml._utils._experimental")
    drop = _DropExperimental()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def plain(entity) -> dict:
    """The entity as plain JSON-able data, as its YAML holds it."""
    with quiet_sdk():
        data = entity._to_dict() if hasattr(entity, "_to_dict") else entity.dump()
    return json.loads(json.dumps(data, default=str))


def to_yaml(entity, path: str | os.PathLike | None = None, *, transform: Callable[[dict], dict] | None = None) -> str:
    """The entity as Azure ML YAML (keys in the SDK's order); also written to ``path`` if given."""
    data = plain(entity)
    if transform is not None:
        data = transform(data)
    text = yaml.safe_dump(data, sort_keys=False)
    if path is not None:
        Path(path).write_text(text)
    return text


@contextlib.contextmanager
def scratch_yaml(name: str = "entity.yml"):
    """A path in a fresh temporary folder, deleted with everything in it when the block ends."""
    with tempfile.TemporaryDirectory(prefix="mlcheckup-yaml-") as folder:
        yield Path(folder) / name


def _is_yaml_text(source: str) -> bool:
    """Text rather than a path: several lines, or one line that reads as a YAML mapping."""
    line = source.strip()
    return "\n" in line or ": " in line or line.endswith(":") or line.startswith(("{", "---"))


def yaml_source(source, scratch: Path, *, error: type[ValidationError] = ValidationError) -> Path:
    """The file to load for ``source``: a path to a YAML file, or YAML text written to ``scratch``.

    Nothing is ever written next to ``source``.

    Raises
    ------
    ValidationError (or ``error``)
        If ``source`` is neither, or names no file.
    """
    if not isinstance(source, str | os.PathLike):
        raise error(f"source must be a path or YAML text (got {type(source).__name__})")
    if isinstance(source, str) and _is_yaml_text(source):
        scratch.write_text(source)
        return scratch
    path = Path(source)
    if not path.is_file():
        raise error(f"no file {path} (looked from {Path.cwd()}); pass the path of a YAML file, or the YAML text itself")
    return path


def hidden_cause(error: BaseException) -> BaseException:
    """The first error of the chain with something to say (``load_schedule`` raises an empty one)."""
    while not str(error).strip() and error.__context__ is not None:
        error = error.__context__
    return error


def schema_details(error: BaseException) -> dict | list | str:
    """The schema's complaint: marshmallow's ``{"field": ["problem"]}`` when there is one, else the text."""
    error = hidden_cause(error)
    messages = getattr(error, "messages", None) or getattr(error, "message", None) or str(error)
    if isinstance(messages, list) and len(messages) == 1:
        messages = messages[0]
    if isinstance(messages, dict | list):
        return messages
    text = str(messages).split("Visit this link")[0]
    found = re.search(r"\{.*\}", text, re.DOTALL)
    if found:
        with contextlib.suppress(ValueError):
            return json.loads(found.group(0))
    return text.strip()
