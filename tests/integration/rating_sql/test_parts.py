"""DuckDB rates a large population in parts of subject ids, the next part computed while the
caller writes this one's rows: the parts together are exactly the population rated whole, and a
caller that stops early leaves no query running. (The differential tests rate every random store
in parts of two subjects too.) And DuckDB keeps to the memory it is given."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Generator, Iterator
from itertools import chain, pairwise
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from tests.integration.rating_sql.test_store_safety import _fresh_store, _populate
from utilcredit.config import get_settings
from utilcredit.policies.loader import load_policy
from utilcredit.rating.sql.engines import DuckDBEngine, ReferenceEngine

AS_OF = dt.date(2026, 11, 22)
SUBJECTS = 40


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = _fresh_store(tmp_path)
    _populate(engine, subjects=SUBJECTS, bills_per_account=12)
    yield engine
    engine.dispose()


def test_parts_cover_the_population_once_in_order(store: Engine) -> None:
    policy = load_policy("lianshui-water").policy
    duck = DuckDBEngine(threads=1, part_subjects=7, snapshot="off").connect(store.url)
    try:
        parts = DuckDBEngine(part_subjects=7)._parts(duck, policy)
    finally:
        duck.close()
    assert len(parts) == 6
    assert parts[0] is not None and parts[0][0] == 1
    assert parts[-1] is not None and parts[-1][1] == SUBJECTS + 1
    for before, after in pairwise(parts):
        assert before is not None and after is not None and before[1] == after[0]


def test_rated_in_parts_equals_rated_whole(store: Engine) -> None:
    policy = load_policy("lianshui-water").policy
    with store.connect() as connection:
        whole = list(DuckDBEngine(threads=1).rate(connection, policy, AS_OF))
        parts = list(DuckDBEngine(threads=1, part_subjects=3).rate(connection, policy, AS_OF))
        reference = list(ReferenceEngine().rate(connection, policy, AS_OF))
        stored_whole = list(
            chain.from_iterable(DuckDBEngine(threads=1).stored_batches(connection, policy, AS_OF))
        )
        stored_parts = list(
            chain.from_iterable(
                DuckDBEngine(threads=1, part_subjects=3).stored_batches(connection, policy, AS_OF)
            )
        )
    assert len(whole) == SUBJECTS
    assert parts == whole == reference
    assert [rating.subject_id for rating in parts] == list(range(1, SUBJECTS + 1))
    assert stored_parts == stored_whole


def test_a_reader_that_stops_early_leaves_no_part_running(store: Engine) -> None:
    policy = load_policy("lianshui-water").policy
    with store.connect() as connection:
        batches = DuckDBEngine(threads=1, part_subjects=1).stored_batches(connection, policy, AS_OF)
        assert isinstance(batches, Generator)
        first = next(batches)
        assert [row[0] for row in first] == [1]
        batches.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("duckdb-part")]


def test_duckdb_keeps_to_the_configured_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB's own default is 80 % of the machine's memory (22 GB for a 10 M export); the
    product's engines take ``UTILCREDIT_DUCKDB_MEMORY_LIMIT`` instead, and refuse a bad one."""
    monkeypatch.setenv("UTILCREDIT_DUCKDB_MEMORY_LIMIT", "1GB")
    get_settings.cache_clear()
    try:
        duck = DuckDBEngine()._new_connection()
        try:
            limit = duck.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        finally:
            duck.close()
        assert limit == "953.6 MiB"  # DuckDB shows 1 GB (10^9 bytes) in binary units
        monkeypatch.setenv("UTILCREDIT_DUCKDB_MEMORY_LIMIT", "lots")
        get_settings.cache_clear()
        with pytest.raises(ValidationError, match="duckdb_memory_limit"):
            get_settings()
    finally:
        get_settings.cache_clear()
