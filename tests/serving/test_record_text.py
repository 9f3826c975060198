"""single_record_text returns the request's own text of its record only when that text
means exactly the parsed record and fits on one journal line."""

from __future__ import annotations

import json

import pytest

from serving.record_text import single_record_text
from serving.validation import parse_json

RECORD = {
    "tenure_months": 31.0,
    "monthly_charges": 70.71,
    "support_calls": 1,
    "contract_type": "month-to-month",
    "paperless": True,
    "payment_method": None,
}


def _text(body: bytes) -> str | None:
    parsed = parse_json(body)
    return single_record_text(body, parsed["record"])


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"record": RECORD}).encode(),  # what requests and json.dumps send
        json.dumps({"record": RECORD}, separators=(",", ":")).encode(),
        b'  {"record":   {"support_calls": 1e0, "tenure_months": -0.5}  }  ',
        b'{"record": {}}',
    ],
)
def test_the_usual_bodies_give_their_record_text(body: bytes) -> None:
    text = _text(body)
    assert text is not None
    assert json.loads(text) == parse_json(body)["record"]
    assert "\t" not in text and "\n" not in text


@pytest.mark.parametrize(
    "body",
    [
        # A repeated key: Python keeps the last value, SQLite's JSON functions the first.
        b'{"record": {"support_calls": 1, "support_calls": 2}}',
        b'{"record": {"contract_type": "a", "contract_type": 2}}',
        b'{"record": {"support_calls": 1, "support_calls": "x"}}',
        # A second "record": the text between the outer braces is not one object.
        b'{"record": {"support_calls": 1}, "record": {"support_calls": 1}}',
        b'{"record": {}, "record": {"support_calls": 1}}',
        # Escapes, non-ASCII text and line breaks are left to the encoder.
        b'{"record": {"contract_type": "a\\"b"}}',
        b'{"record": {"contract_type": "\\u00e9"}}',
        '{"record": {"contract_type": "\u00e9"}}'.encode(),
        b'{"record":\n{"support_calls": 1}}',
        b'{"record": {"support_calls":\t1}}',
        b'{"record": {"support_calls":\r\n1}}',
        # Other spellings of the same body: not worth a parser; encoded instead.
        b'{ "record": {"support_calls": 1}}',
        b'{"record" : {"support_calls": 1}}',
        b'{"\\u0072ecord": {"support_calls": 1}}',
    ],
)
def test_anything_else_is_left_to_the_encoder(body: bytes) -> None:
    assert _text(body) is None


def test_a_nested_value_is_left_to_the_encoder() -> None:
    body = b'{"record": {"support_calls": {"a": 1}}}'
    assert single_record_text(body, parse_json(body)["record"]) is None


def test_a_batch_body_is_left_to_the_encoder() -> None:
    body = json.dumps({"records": [RECORD]}).encode()
    assert single_record_text(body, RECORD) is None
