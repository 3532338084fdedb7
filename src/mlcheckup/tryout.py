"""Try a ``run()`` written in a notebook on the real inference server, before deploying it.

Azure ML serves a *file*, ``score.py``, so a function written in a notebook cell must become
part of one first. :func:`write_score_script` copies the function's own source (as
``inspect`` reads it from the cell) below a fixed preamble that holds the imports and
``init()``; :class:`Tryout` serves that file on a :class:`~mlcheckup.endpoint.LocalEndpoint`
and starts a new server only when the function's source has changed::

    tryout = Tryout(project.model_dir, PREAMBLE)
    endpoint = tryout.serve(run)             # ~3 s the first time; the same server afterwards
    endpoint.post('{"data": [[1, 2]]}')      # the raw HTTP response, whatever its status
    tryout.stop()

Only the function is copied, never the notebook's other globals: inside the server it sees the
names the preamble defines and nothing else, exactly as in a deployment. When it fails there,
:func:`server_error` finds the exception in the server's log.

Taught in lesson 02.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import os
import tempfile
import textwrap
from pathlib import Path

from ._lifecycle import State
from ._process import session_dir
from ._serverlog import EXCEPTION_LINE
from .endpoint import LocalEndpoint
from .errors import ValidationError

__all__ = ["Tryout", "function_source", "score_script", "server_error", "write_score_script"]



def function_source(fn) -> str:
    """The source of ``fn`` (a plain ``def``, also one defined in a notebook cell), dedented.

    Raises
    ------
    ValidationError
        If ``fn`` is not a function defined with ``def`` whose source can be read (a lambda,
        a built-in, a function typed at a plain Python prompt).

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> print(function_source(double))
    def double(x):
        return 2 * x
    """
    if not inspect.isfunction(fn):
        raise ValidationError(f"expected a function defined with def, got a {type(fn).__name__}")
    if fn.__name__ == "<lambda>":
        raise ValidationError("a lambda cannot be copied into score.py; define the function with def")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as error:
        raise ValidationError(f"the source of {fn.__name__}() cannot be read ({error}); "
                              "define it in a notebook cell or a file, then run that cell again") from None
    tree = ast.parse(source)
    if not (len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef) and tree.body[0].name == fn.__name__):
        raise ValidationError(f"the source of {fn.__name__}() is not one plain def; "
                              "define it at the top level of a cell, without decorators")
    if tree.body[0].decorator_list:
        raise ValidationError(f"{fn.__name__}() has a decorator, which score.py would not know; remove it")
    return source.rstrip() + "\n"


def score_script(run, preamble: str) -> str:
    """The text of a scoring script: ``preamble``, then the source of ``run``.

    If the function is not called ``run``, the script ends with ``run = <its name>``, since the
    inference server calls ``run``.

    Parameters
    ----------
    run : function
        The scoring function, defined with ``def`` (see :func:`function_source`).
    preamble : str
        Imports, globals and ``init()`` that the function may use.

    Raises
    ------
    ValidationError
        If the function's source cannot be read, or the script is not valid Python.

    Examples
    --------
    >>> def run(raw_data):
    ...     return {"echo": raw_data}
    >>> print(score_script(run, "import json"))
    import json
    <BLANKLINE>
    <BLANKLINE>
    # --- run(), copied from the notebook ---
    def run(raw_data):
        return {"echo": raw_data}
    <BLANKLINE>

    Taught in lesson 02.
    """
    text = textwrap.dedent(preamble).strip() + "\n\n\n# --- run(), copied from the notebook ---\n" + function_source(run)
    if run.__name__ != "run":
        text += f"\n\nrun = {run.__name__}\n"
    try:
        compile(text, "score.py", "exec")
    except SyntaxError as error:
        raise ValidationError(f"the scoring script would not be valid Python: {error}") from None
    return text


def write_score_script(path: str | os.PathLike, run, preamble: str) -> Path:
    """Write :func:`score_script` of ``run`` and ``preamble`` to ``path`` (folders created); return it."""
    path = Path(path)
    text = score_script(run, preamble)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def server_error(endpoint: LocalEndpoint) -> str | None:
    """The last exception that ``run()`` raised inside ``endpoint``, as one line, or None.

    The inference server answers any exception in ``run()`` with a generic HTTP 500 and logs
    the traceback; this reads the line that names the exception (``ValueError: ...``) and skips
    the server's own wrapper (``UserScriptException``).
    """
    lines = endpoint.logs().splitlines()
    found = [line for line in lines if EXCEPTION_LINE.match(line) and "UserScript" not in line]
    return found[-1].strip() if found else None


class Tryout:
    """Serve notebook-written ``run()`` functions on the inference server, one server at a time.

    Parameters
    ----------
    model : path
        Model file or folder (under ``$AZUREML_MODEL_DIR`` with its own name, as in Azure).
    preamble : str
        The top of the generated score.py: imports, globals and ``init()``.
    name, deployment : str
        Names of the local endpoint.
    **endpoint_options
        Passed to :class:`~mlcheckup.endpoint.LocalEndpoint` (no data collection and no App
        Insights unless asked for).

    Examples
    --------
    ::

        with Tryout(project.model_dir, PREAMBLE) as tryout:
            reply = tryout.serve(run).post({"data": [[0] * 64]})

    Taught in lesson 02.
    """

    def __init__(self, model: str | os.PathLike, preamble: str, *, name: str = "tryout-endpoint",
                 deployment: str = "yours", **endpoint_options) -> None:
        self.model, self.preamble = Path(model), preamble
        self.name, self.deployment = name, deployment
        self.endpoint_options = {"collections": None, **endpoint_options}
        self.endpoint: LocalEndpoint | None = None
        #: The score.py of the endpoint that runs now (or ran last).
        self.script: Path | None = None
        self._digest: str | None = None

    def __repr__(self) -> str:
        return f"<Tryout {self.name}/{self.deployment}: {self.endpoint!r}>"

    def serve(self, run) -> LocalEndpoint:
        """Serve ``run`` and return its running endpoint, starting a server only if needed.

        The server of the previous call is reused while it runs and the function's source is
        unchanged; otherwise it is stopped and a new one starts (about 3 s).

        Raises
        ------
        ValidationError
            If the function's source cannot be copied into score.py.
        ServerError
            If the server does not start (e.g. score.py fails when imported).
        """
        text = score_script(run, self.preamble)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if self.endpoint is not None and self.endpoint.state is State.RUNNING and digest == self._digest:
            return self.endpoint
        self.stop()
        folder = session_dir() / "tryout"
        folder.mkdir(parents=True, exist_ok=True)
        self.script = Path(tempfile.mkdtemp(prefix=f"{self.deployment}-", dir=folder)) / "score.py"
        self.script.write_text(text)
        endpoint = LocalEndpoint(self.script, self.model, name=self.name, deployment=self.deployment,
                                 **self.endpoint_options)
        self.endpoint = endpoint.start()
        self._digest = digest
        return endpoint

    def stop(self) -> None:
        """Stop the server, if one runs. Stopping twice does nothing."""
        if self.endpoint is not None:
            self.endpoint.stop()
        self._digest = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
