"""Spark (local[2]) rates exactly as the reference does, from the store's Parquet export.

The same properties as ``test_differential`` and ``test_corpus``, for the Spark engine: random
stores under every shipped policy and every case of the clause corpus from a SQLite store
(exported from its columnar snapshot: bills carry their settlement), and random stores under
generated policies from the real PostgreSQL server (read through DuckDB: bills and payments as
stored, the compiled query's general form, in which Spark sums the payments). The export
itself is tested on both stores in ``test_parquet_export``. One Spark session serves the
module, and its tests run on one xdist worker (``xdist_group``), so the suite starts one JVM.

A Spark query over a handful of subjects takes seconds (planning and scheduling, not data), so
CI draws few stores: ``UTILCREDIT_SPARK_EXAMPLES`` raises their number for a deeper run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from itertools import groupby

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, select

from tests.corpus.clauses import load_corpus, unmet
from tests.integration.rating_sql.policy_builders import policies
from tests.integration.rating_sql.store_builders import (
    RSubject,
    clear_store,
    populations,
    write_population,
)
from tests.integration.rating_sql.test_corpus import _group_key, as_stored
from tests.integration.rating_sql.test_differential import POLICIES, _first_difference, _stored
from utilcredit import schema
from utilcredit.config import SparkSettings
from utilcredit.customers.tables import SubjectRow
from utilcredit.db import make_engine
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.sql.engines import DatabaseEngine, ReferenceEngine
from utilcredit.rating.sql.spark import SparkEngine, export_store, spark_session, stop_spark

pytestmark = pytest.mark.xdist_group("spark")

EXAMPLES = int(os.environ.get("UTILCREDIT_SPARK_EXAMPLES", "1"))
PART_SUBJECTS = 8  # small parts, so that a store of a few subjects has several
_HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def spark() -> Iterator[None]:
    spark_session(SparkSettings(master="local[2]", shuffle_partitions=2, driver_memory="1g"))
    yield
    stop_spark()


@pytest.fixture
def exported(engine: Engine, tmp_path_factory: pytest.TempPathFactory, spark: None) -> SparkEngine:
    """A Spark engine over a fresh export folder, rating the export as it is."""
    return SparkEngine(tmp_path_factory.mktemp("parquet"), export="use")


def _export(engine: Engine, spark_engine: SparkEngine) -> None:
    with engine.connect() as connection:
        export_store(connection, spark_engine.directory, part_subjects=PART_SUBJECTS)


def _write(engine: Engine, subjects: list[RSubject]) -> None:
    with engine.begin() as connection:
        clear_store(connection)
        write_population(connection, subjects)


def _check(engine: Engine, spark_engine: SparkEngine, policy: Policy, as_of: dt.date) -> None:
    with engine.connect() as connection:
        reference = list(ReferenceEngine().rate(connection, policy, as_of))
        database = list(DatabaseEngine().rate(connection, policy, as_of))
    rated = list(spark_engine.rate_export(policy, as_of))
    difference = _first_difference(reference, rated)
    assert not difference, (
        f"spark differs from the reference at {as_of} under "
        f"{policy.model_dump_json(exclude_defaults=True)}:\n{difference}"
    )
    stored = list(spark_engine.rate_stored_export(policy, as_of))
    assert stored == _stored(database, reference)


@pytest.mark.sqlite_only
@_HYPOTHESIS
@given(drawn=populations())
def test_spark_rates_every_shipped_policy_like_the_reference(
    engine: Engine, exported: SparkEngine, drawn: tuple[dt.date, list[RSubject]]
) -> None:
    as_of, subjects = drawn
    _write(engine, subjects)
    _export(engine, exported)
    for policy in POLICIES.values():
        _check(engine, exported, policy, as_of)


@pytest.fixture(scope="module")
def postgres_store(postgres_url: str) -> Iterator[Engine]:
    store = make_engine(postgres_url)
    schema.upgrade(store)
    yield store
    with store.begin() as connection:
        clear_store(connection)
    store.dispose()


@settings(
    max_examples=EXAMPLES + 1,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(policy=policies(), drawn=populations())
def test_spark_rates_generated_policies_on_postgresql_like_the_reference(
    postgres_store: Engine,
    tmp_path_factory: pytest.TempPathFactory,
    spark: None,
    policy: Policy,
    drawn: tuple[dt.date, list[RSubject]],
) -> None:
    as_of, subjects = drawn
    exported = SparkEngine(tmp_path_factory.mktemp("parquet"), export="use")
    _write(postgres_store, subjects)
    _export(postgres_store, exported)
    _check(postgres_store, exported, policy, as_of)


@pytest.mark.sqlite_only
def test_spark_meets_the_clause_corpus(engine: Engine, exported: SparkEngine) -> None:
    """Every case of ``tests/corpus/clauses.yaml``, rated by Spark in its (policy, date) group,
    meets the corpus and equals the reference's rating."""
    cases = load_corpus()
    codes = {case.id: f"CORPUS{index:05d}" for index, case in enumerate(cases)}
    _write(engine, [as_stored(codes[c.id], c.credit_file) for c in cases])
    _export(engine, exported)
    with engine.connect() as connection:
        ids = {
            row.code: row.id for row in connection.execute(select(SubjectRow.code, SubjectRow.id))
        }
    failures: list[str] = []
    rated = 0
    for (_, as_of, _), group in groupby(sorted(cases, key=_group_key), key=_group_key):
        members = list(group)
        policy = members[0].policy()
        subject_ids = sorted(ids[codes[case.id]] for case in members)
        with engine.connect() as connection:
            reference = {
                r.subject_code: r
                for r in ReferenceEngine().rate(connection, policy, as_of, subject_ids)
            }
        by_code = {codes[case.id]: case for case in members}
        for rating in exported.rate_export(policy, as_of, subject_ids):
            rated += 1
            case = by_code[rating.subject_code]
            if rating != reference[rating.subject_code]:
                failures.append(f"{case.id}: differs from the reference")
            if problems := unmet(case, rating):
                failures.append(f"{case.id}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)
    assert rated == len(cases)
