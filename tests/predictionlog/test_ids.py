"""Prediction ids are RFC 9562 version 7 UUIDs that sort by creation time."""

from __future__ import annotations

import time
import uuid

from predictionlog.ids import new_prediction_id


def test_an_id_is_a_canonical_version_7_uuid() -> None:
    text = new_prediction_id()
    parsed = uuid.UUID(text)
    assert str(parsed) == text and len(text) == 36
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_the_first_48_bits_are_the_creation_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    millis = uuid.UUID(new_prediction_id()).int >> 80
    after = time.time_ns() // 1_000_000
    assert before <= millis <= after


def test_ids_made_in_later_milliseconds_sort_later() -> None:
    first = new_prediction_id()
    time.sleep(0.002)
    second = new_prediction_id()
    assert first < second  # as text, as the database's index compares them


def test_ids_are_unique() -> None:
    ids = [new_prediction_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
