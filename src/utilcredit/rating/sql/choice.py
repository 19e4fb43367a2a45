"""Choosing a batch engine by name: ``utilcredit rate --engine NAME`` and its kin.

Apart from :mod:`~utilcredit.rating.sql.engines` so that the Spark engine, which exports the
store through DuckDB, is one more engine to choose from rather than a part of the others (and
pyspark is imported only when it is chosen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection

from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import BatchEngine, SubjectRating
from utilcredit.rating.sql.engines import (
    DatabaseEngine,
    DuckDBEngine,
    ReferenceEngine,
    duckdb_can_read,
)

AUTO = "auto"  # the fastest engine that can read the store on this machine
LOCAL_ENGINES = ("reference", "duckdb", "database")  # rate in this process
ENGINE_NAMES = (*LOCAL_ENGINES, "spark")


def get_engine(name: str) -> BatchEngine:
    """``reference`` | ``duckdb`` | ``database`` | ``spark`` → the engine."""
    if name == "reference":
        return ReferenceEngine()
    if name == "duckdb":
        return DuckDBEngine()
    if name == "database":
        return DatabaseEngine()
    if name == "spark":
        from utilcredit.rating.sql.spark import SparkEngine

        return SparkEngine()
    raise ValueError(f"unknown rating engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")


def fastest_available(connection: Connection) -> BatchEngine:
    """DuckDB when it can read this store, else the store's own SQL engine."""
    if duckdb_can_read(connection.engine.url):
        return DuckDBEngine()
    return DatabaseEngine()


def choose_engine(name: str | None, connection: Connection) -> BatchEngine:
    """The engine for ``utilcredit rate --engine NAME`` (None or ``auto``: the fastest available)."""
    if name is None or name == AUTO:
        return fastest_available(connection)
    return get_engine(name)


def rate_batch(
    connection: Connection,
    policy: Policy,
    as_of: dt.date,
    engine: str | None = None,
    subject_ids: Sequence[int] | None = None,
) -> Iterator[SubjectRating]:
    """Rate the policy's population with the named engine (default: the fastest available)."""
    return choose_engine(engine, connection).rate(connection, policy, as_of, subject_ids)
