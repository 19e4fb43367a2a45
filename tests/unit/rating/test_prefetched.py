"""``prefetched``: a run's rows made by a thread of their own while the run writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from utilcredit.rating.batch import prefetched


def test_every_item_arrives_in_order_made_by_another_thread() -> None:
    makers: set[str] = set()

    def items() -> Iterator[int]:
        for number in range(1000):
            makers.add(threading.current_thread().name)
            yield number

    assert list(prefetched(items(), depth=3)) == list(range(1000))
    assert makers == {"prefetch"}


def test_the_producers_error_is_raised_to_the_consumer_after_what_came_before() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("the store went away")

    received: list[int] = []
    with pytest.raises(ValueError, match="the store went away"):
        for item in prefetched(items()):
            received.append(item)
    assert received == [1, 2]


def test_a_consumer_that_stops_early_stops_and_closes_the_producer() -> None:
    made: list[int] = []
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            for number in range(10_000):
                made.append(number)
                yield number
        finally:
            closed.set()  # a DuckDB connection is closed here in the engines

    stream = prefetched(items(), depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert closed.is_set()
    assert len(made) <= 3 + 2 + 1  # the consumed, the queued, the one being put
    assert not any(t.name == "prefetch" for t in threading.enumerate())
