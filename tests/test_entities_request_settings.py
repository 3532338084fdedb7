"""entities.request_settings and build_deployment(request_settings=...): Azure's limits, and the front end obeys them."""

from __future__ import annotations

import pytest
from runtime_support import digits_entities, project_fixture  # noqa: F401 (pytest fixture)

from mlcheckup import entities
from mlcheckup.errors import ValidationError
from mlcheckup.frontend import FrontEnd


def test_request_settings_are_the_sdks_object_with_the_values_given():
    from azure.ai.ml.entities import OnlineRequestSettings

    settings = entities.request_settings(4, 3000)
    assert isinstance(settings, OnlineRequestSettings)
    assert (settings.max_concurrent_requests_per_instance, settings.request_timeout_ms) == (4, 3000)
    assert entities.request_settings(request_timeout_ms=entities.MAX_REQUEST_TIMEOUT_MS).request_timeout_ms == 180_000


def test_the_deployment_carries_them_through_the_sdks_yaml(project):
    _, deployment = digits_entities(project, request_settings={"max_concurrent_requests_per_instance": 4,
                                                               "request_timeout_ms": 3000})
    loaded = entities.validate(deployment)
    assert loaded.request_settings.max_concurrent_requests_per_instance == 4
    assert loaded.request_settings.request_timeout_ms == 3000
    _, plain = digits_entities(project)
    assert plain.request_settings is None or plain.request_settings.request_timeout_ms in (None, 5000)


@pytest.mark.parametrize(("settings", "words"), [
    ({"request_timeout_ms": 180_001}, "request_timeout_ms must be a whole number from 1 to 180000 (Azure's default "
                                      "is 5000) (got 180001)"),
    ({"request_timeout_ms": 0}, "(got 0)"),
    ({"max_concurrent_requests_per_instance": 0}, "max_concurrent_requests_per_instance must be a whole number of at "
                                                  "least 1"),
    ({"max_concurrent_requests_per_instance": 2.5}, "(got 2.5)"),
    ({"max_queue_wait_ms": 500}, "max_queue_wait_ms is deprecated for managed online endpoints (got 500)"),
    ({"request_timeout": 3000}, "unknown request setting(s) ['request_timeout']"),
])
def test_values_azure_refuses_are_refused_with_the_value(project, settings, words):
    with pytest.raises(ValidationError) as caught:
        digits_entities(project, request_settings=settings)
    assert words in str(caught.value)


def test_an_sdk_object_out_of_range_is_refused_too(project):
    from azure.ai.ml.entities import OnlineRequestSettings

    with pytest.raises(ValidationError, match="got 600000"):
        digits_entities(project, request_settings=OnlineRequestSettings(request_timeout_ms=600_000))
    with pytest.raises(ValidationError, match="must be a dict"):
        digits_entities(project, request_settings=[4, 3000])


def test_the_front_end_enforces_the_deployments_own_settings(project):
    _, deployment = digits_entities(project, collections=None, app_insights=False,
                                    request_settings=entities.request_settings(3, 2500))
    front = FrontEnd.from_deployment(deployment)  # built, not started
    assert (front.max_concurrent_requests_per_instance, front.request_timeout_ms, front.admitted) == (3, 2500, 6)
    assert FrontEnd.from_deployment(digits_entities(project, collections=None, app_insights=False)[1]).admitted == 2
