"""The score.py kit (mlcheckup.serving): the 4xx contract and visible data-collection losses."""

from __future__ import annotations

import json
import logging

import pytest

from mlcheckup.serving import LOST_MARKER, CollectorGuard, RequestError, parse_rows, request_id

GOOD = json.dumps({"data": [[0.0] * 4, [16.0] * 4]})


def test_a_good_request_parses_to_a_float_array():
    values = parse_rows(GOOD, n_features=4, low=0, high=16)
    assert values.shape == (2, 4) and values.dtype == float


@pytest.mark.parametrize(
    "body, code, status, words",
    [
        ("not json", "invalid_json", 400, "not JSON"),
        (b"\x00\x01", "invalid_json", 400, "not JSON"),
        ('[[1, 2, 3, 4]]', "missing_key", 400, 'no "data" key (got a JSON list)'),
        ('{"rows": [[1, 2, 3, 4]]}', "missing_key", 400, "got keys ['rows']"),
        ('{"data": []}', "wrong_shape", 400, "non-empty list"),
        ('{"data": [1, 2, 3, 4]}', "wrong_shape", 400, "non-empty list of rows"),
        ('{"data": [[1, 2, 3]]}', "wrong_shape", 400, "row 0 has 3 values, expected 4"),
        ('{"data": [[1, 2, 3, 4], [1, 2, 3, 4, 5]]}', "wrong_shape", 400, "row 1 has 5 values"),
        ('{"data": [[1, 2, "x", 4]]}', "not_a_number", 400, 'row 0, column 2 is "x"'),
        ('{"data": [[1, 2, null, 4]]}', "not_a_number", 400, "column 2 is null"),
        ('{"data": [[1, true, 3, 4]]}', "not_a_number", 400, "column 1 is true"),
        ('{"data": [[1, 2, 3, NaN]]}', "not_finite", 400, "row 0, column 3 is nan"),
        ('{"data": [[1, Infinity, 3, 4]]}', "not_finite", 400, "column 1 is inf"),
        ('{"data": [[1, 2, 3, -' + "9" * 400 + ']]}', "not_finite", 400, "column 3 is an integer of 400 digits"),  # F13
        ('{"data": [[1, 2, 3, 4], [1, 2, 17, 4]]}', "out_of_range", 400, "row 1, column 2 is 17, outside the allowed range [0, 16]"),
        ('{"data": [[-1, 2, 3, 4]]}', "out_of_range", 400, "is -1, outside"),
        (json.dumps({"data": [[1, 2, 3, 4]] * 11}), "too_large", 413, "11 rows; at most 10"),
        ("x" * 2001, "too_large", 413, "2,001 bytes; at most 2,000"),
    ],
)
def test_a_malformed_request_gets_a_4xx_that_names_the_problem(body, code, status, words):
    with pytest.raises(RequestError) as caught:
        parse_rows(body, n_features=4, low=0, high=16, max_rows=10, max_bytes=2000)
    error = caught.value
    assert (error.code, error.status) == (code, status)
    assert words in error.message
    assert isinstance(error, ValueError)


def test_request_error_becomes_the_inference_server_response():
    response = RequestError("row 0 is wrong", "wrong_shape").response()
    assert response.status_code == 400
    assert json.loads(response.get_data()) == {"message": "row 0 is wrong", "error": "wrong_shape"}
    assert response.headers["Content-Type"] == "application/json"


def test_request_id_prefers_the_callers_header():
    assert request_id({"X-Request-Id": "abc"}) == "abc"
    assert request_id({"x-ms-client-request-id": "def"}) == "def"
    assert len(request_id({})) == 36 and len(request_id(None)) == 36


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def guard():
    logger = logging.getLogger("test.mlcheckup.guard")
    logger.propagate = False
    recorder = _Recorder()
    logger.addHandler(recorder)
    yield CollectorGuard(logger), recorder.records
    logger.removeHandler(recorder)


def test_a_full_collector_queue_is_counted_and_warned(guard):
    collector_guard, records = guard
    for _ in range(3):
        collector_guard.on_error(Exception("Too many requests lead to message queue is full, please reduce ..."))
    assert collector_guard.lost == {"queue_full": 3}
    assert [r.levelno for r in records] == [logging.WARNING] * 3
    assert LOST_MARKER in records[-1].getMessage() and "3 lost so far" in records[-1].getMessage()
    assert records[-1].__dict__["microsoft.custom_event.name"] == "DataCollectionError"


def test_collection_switched_off_is_said_once_and_not_counted_as_loss(guard):
    collector_guard, records = guard
    for _ in range(5):
        collector_guard.on_error(Exception("custom logging is not enabled, drop the data"))
    assert collector_guard.lost == {} and "not enabled" in collector_guard.disabled
    assert len(records) == 1 and "data collection is off" in records[0].getMessage()


def test_payloads_the_sender_could_not_deliver_are_counted(guard):
    collector_guard, records = guard
    watch = __import__("mlcheckup.serving", fromlist=["_SenderWatch"])._SenderWatch(collector_guard)
    failed = logging.LogRecord("mdc.worker", logging.ERROR, __file__, 1,
                               "worker thread %d: send payload %s@%s failed - %s",
                               (0, "model_inputs", "id-1", "Connection refused"), None)
    unrelated = logging.LogRecord("mdc.worker", logging.ERROR, __file__, 1, "something else", (), None)
    watch.emit(failed)
    watch.emit(unrelated)
    assert collector_guard.lost == {"undelivered": 1}
    assert "model_inputs: Connection refused" in records[0].getMessage()
