"""The HTTP client side of a local endpoint: ``post()`` and ``invoke()`` (private).

:class:`ScoringClient` is a mixin shared by :class:`~mlcheckup.endpoint.LocalEndpoint` (the
inference server itself) and :class:`~mlcheckup.frontend.FrontEnd` (Azure's front end before
it), so both answer the same two calls with the same errors. The class using it gives
``url``, ``label``, ``request_timeout``, ``state``/``failure``/``_require_running`` (from
:class:`~mlcheckup._lifecycle.Managed`) and ``_http`` (a ``requests.Session`` that ignores proxies).
"""

from __future__ import annotations

import json
import uuid

import requests

from ._lifecycle import State
from .errors import ScoringError, ServerError

__all__ = ["ScoringClient", "session"]


def session() -> requests.Session:
    """A ``requests.Session`` for loopback traffic: it never goes through the laptop's HTTP(S)_PROXY."""
    http = requests.Session()
    http.trust_env = False
    return http


class ScoringClient:
    """``post()`` (a raw response) and ``invoke()`` (parsed JSON, or :class:`ScoringError`)."""

    def _answered(self, path: str, response: requests.Response) -> None:
        """Called with every response :meth:`post` receives (a hook for counting scored requests)."""

    def post(self, payload, *, headers: dict | None = None, timeout: float | None = None,
             path: str = "/score") -> requests.Response:
        """Send one request and return the raw response, whatever its status.

        ``payload`` is sent as JSON unless it is ``str`` or ``bytes`` (sent as is). An
        ``x-request-id`` is added when missing, as Azure's front end does, so the request can
        be found in App Insights and in the collected data.
        """
        self._require_running("send a request")
        headers = {"x-request-id": str(uuid.uuid4()), **(headers or {})}
        if isinstance(payload, str | bytes):
            data = payload
        else:
            data = json.dumps(payload)
            headers.setdefault("Content-Type", "application/json")
        try:
            response = self._http.post(self.url + path, data=data, headers=headers,
                                       timeout=timeout or self.request_timeout)
        except requests.RequestException as error:
            if self.state is State.FAILED:
                raise ServerError(f"{self.label} did not answer: {self.failure}; create a new one") from error
            raise ServerError(f"{self.label} did not answer ({type(error).__name__}: {error}); "
                              "check endpoint.logs() and endpoint.state") from error
        self._answered(path, response)
        return response

    def invoke(self, payload, *, headers: dict | None = None, timeout: float | None = None):
        """Score ``payload`` and return the parsed JSON answer.

        Raises
        ------
        ScoringError
            If the endpoint answers 4xx or 5xx; the message says what to do (424: the model's own
            status from the ``ms-azureml-model-error-*`` headers; 429: scale out; 408: a faster model).
        ServerError
            If it answers with a body that is not JSON (the message quotes its start).

        Taught in lesson 02.
        """
        response = self.post(payload, headers=headers, timeout=timeout)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
                message = response.text
            model_status = response.headers.get("ms-azureml-model-error-statuscode")
            raise ScoringError(response.status_code, message, self.label,
                               model_status=int(model_status) if model_status and model_status.isdigit() else None,
                               model_reason=response.headers.get("ms-azureml-model-error-reason"))
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                f"{self.label} answered HTTP {response.status_code} with a body that is not JSON: "
                f"{response.text[:200]!r}; run() must return something JSON can encode "
                "(use endpoint.post() to read a raw answer)") from None
