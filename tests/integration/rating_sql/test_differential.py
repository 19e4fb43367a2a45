"""One semantics, three executions: every engine rates random stores exactly as the reference does.

For every shipped policy, and for random policies generated from them (see
``policy_builders``: levels, clauses, bounds, windows, filters and report sources redrawn), random
histories (see ``store_builders``) are written to the store (SQLite and the real PostgreSQL
server, through the ``engine`` fixture); the reference evaluator, the compiled SQL run by the
store, and the compiled SQL run by DuckDB over the store must give identical
:class:`SubjectRating` lists: the level, every clause's status and value, the evidence refs of
fired clauses, in order, and every designation's status (held, failed, unknown).

``UTILCREDIT_DIFFERENTIAL_EXAMPLES`` (per shipped policy, 3) and
``UTILCREDIT_GENERATED_POLICY_EXAMPLES`` (6) raise the number of examples for a deeper run.
Each run draws new stores (no example database is kept), so CI explores further with every
commit; set both higher (say 50) for a deeper run before a release.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from itertools import chain
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tests.integration.rating_sql.policy_builders import policies
from tests.integration.rating_sql.store_builders import (
    RSubject,
    clear_store,
    populations,
    write_population,
)
from utilcredit.policies.loader import list_policies
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import StoredRow, SubjectRating
from utilcredit.rating.runs.model import encode
from utilcredit.rating.sql.engines import DatabaseEngine, DuckDBEngine, ReferenceEngine

EXAMPLES = int(os.environ.get("UTILCREDIT_DIFFERENTIAL_EXAMPLES", "3"))
# DuckDB rates a population in parts of this many subject ids (DuckDBEngine.part_subjects): a
# random store then spans several parts, some of them empty.
PART = 2
GENERATED_EXAMPLES = int(os.environ.get("UTILCREDIT_GENERATED_POLICY_EXAMPLES", "6"))
POLICIES = {loaded.key: loaded.policy for loaded in list_policies()}


def _first_difference(expected: list[SubjectRating], actual: list[SubjectRating]) -> str:
    if len(expected) != len(actual):
        return f"{len(expected)} subjects rated by the reference, {len(actual)} by the engine"
    for want, got in zip(expected, actual, strict=True):
        if want != got:
            lines = [f"subject {want.subject_code}: level {want.level} vs {got.level}"]
            for a, b in zip(want.clauses, got.clauses, strict=False):
                if a != b:
                    lines.append(f"  reference {a}\n  engine    {b}")
            if want.designations != got.designations:
                lines.append(f"  reference {want.designations}\n  engine    {got.designations}")
            return "\n".join(lines)
    return ""


def rate_everywhere(
    engine: Engine, policy: Policy, as_of: dt.date, duck: Any
) -> dict[str, list[SubjectRating]]:
    with engine.connect() as connection:
        return {
            "reference": list(ReferenceEngine().rate(connection, policy, as_of)),
            "database": list(DatabaseEngine().rate(connection, policy, as_of)),
            "duckdb": list(
                DuckDBEngine(threads=1, part_subjects=PART).rate_on(duck, policy, as_of)
            ),
        }


@pytest.mark.parametrize("policy_key", sorted(POLICIES))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=populations())
def test_every_engine_rates_like_the_reference(
    engine: Engine, policy_key: str, drawn: tuple[dt.date, list[RSubject]]
) -> None:
    as_of, subjects = drawn
    policy = POLICIES[policy_key]
    with engine.begin() as connection:
        clear_store(connection)
        write_population(connection, subjects)
    # the store itself (PostgreSQL) or a copy of it made just now (SQLite), without the
    # snapshot's derived bill columns: the compiled query's general form
    duck_engine = DuckDBEngine(threads=1, snapshot="off", part_subjects=PART)
    duck = duck_engine.connect(engine.url)
    try:
        results = rate_everywhere(engine, policy, as_of, duck)
        reference = results.pop("reference")
        for name, ratings in results.items():
            difference = _first_difference(reference, ratings)
            assert not difference, f"{name} differs from the reference at {as_of}:\n{difference}"
        # what a run stores: the SQL engines' direct rows equal the reference's ratings encoded
        expected = _stored(results["database"], reference)
        with engine.connect() as connection:
            assert _rows(DatabaseEngine().stored_batches(connection, policy, as_of)) == expected
        assert _rows(duck_engine.stored_batches_on(duck, policy, as_of)) == expected
    finally:
        duck.close()


@settings(
    max_examples=GENERATED_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(policy=policies(), drawn=populations())
def test_every_engine_rates_generated_policies_like_the_reference(
    engine: Engine, policy: Policy, drawn: tuple[dt.date, list[RSubject]]
) -> None:
    """Generated policies, each engine as production runs it (DuckDB on SQLite: through the
    columnar snapshot, refreshed for each example's store)."""
    as_of, subjects = drawn
    with engine.begin() as connection:
        clear_store(connection)
        write_population(connection, subjects)
    with engine.connect() as connection:
        reference = list(ReferenceEngine().rate(connection, policy, as_of))
        database = list(DatabaseEngine().rate(connection, policy, as_of))
        duckdb = list(DuckDBEngine(threads=1, part_subjects=PART).rate(connection, policy, as_of))
        stored = _rows(DatabaseEngine().stored_batches(connection, policy, as_of))
    for name, ratings in (("database", database), ("duckdb", duckdb)):
        difference = _first_difference(reference, ratings)
        assert not difference, (
            f"{name} differs from the reference at {as_of} under\n"
            f"{policy.model_dump_json(exclude_defaults=True)}\n{difference}"
        )
    assert stored == _stored(database, reference)


def _rows(batches: Iterable[list[StoredRow]]) -> list[StoredRow]:
    """The rows of an engine's stored batches, in order."""
    return list(chain.from_iterable(batches))


def _stored(with_ids: list[SubjectRating], ratings: list[SubjectRating]) -> list[StoredRow]:
    rows: list[StoredRow] = []
    for identified, rating in zip(with_ids, ratings, strict=True):
        assert identified.subject_id is not None
        encoded = encode(rating)
        rows.append(
            (
                identified.subject_id,
                encoded.level,
                encoded.statuses,
                encoded.measures,
                encoded.evidence,
                encoded.designations,
            )
        )
    return rows
