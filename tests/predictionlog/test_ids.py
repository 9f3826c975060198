"""Prediction ids are RFC 9562 version 7 UUIDs that sort by creation time."""

from __future__ import annotations

import os
import threading
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


def test_threads_draw_different_random_bits() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(new_prediction_id() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(ids,)) for ids in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for ids in made for i in ids]
    assert len(set(every)) == len(every)


def test_a_forked_child_never_reuses_its_parents_buffered_random_bits() -> None:
    new_prediction_id()  # the parent's buffer now holds the bits of its next ids
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.write(write_end, "\n".join(new_prediction_id() for _ in range(50)).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pipe.read().decode().split("\n")
    os.waitpid(pid, 0)
    parent = [new_prediction_id() for _ in range(50)]
    assert not {_random_part(i) for i in child} & {_random_part(i) for i in parent}


def _random_part(text: str) -> int:
    return uuid.UUID(text).int & ((1 << 62) - 1)
