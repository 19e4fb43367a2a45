"""Spark (local[2]) rates exactly as the reference does, from the store's Parquet export.

The properties of ``test_differential``, for the Spark engine: random stores under every
shipped policy from a SQLite store (exported from its columnar snapshot: bills carry their
settlement), and random stores under generated policies from the real PostgreSQL server (read
through DuckDB: bills and payments as stored, the compiled query's general form, in which
Spark sums the payments). The export
itself is tested on both stores in ``test_parquet_export``. One Spark session serves the
module, and its tests run on one xdist worker (``xdist_group``), so the suite starts one JVM.

A Spark query over a handful of subjects takes seconds (planning and scheduling, not data), so
CI draws few stores: ``UTILCREDIT_SPARK_EXAMPLES`` raises their number for a deeper run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, func, select

from tests.integration.rating_sql.policy_builders import policies
from tests.integration.rating_sql.store_builders import (
    RSubject,
    clear_store,
    populations,
    write_population,
)
from tests.integration.rating_sql.test_differential import (
    POLICIES,
    _first_difference,
    _rows,
    _stored,
)
from tests.integration.rating_sql.test_parquet_export import _population
from tests.support.shell import run_cli
from utilcredit import schema
from utilcredit.config import SparkSettings
from utilcredit.db import make_engine
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.runs.tables import RatingResultRow, RatingRunRow
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
    stored = _rows(spark_engine.stored_batches_export(policy, as_of))
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
    max_examples=EXAMPLES,
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


def _results(engine: Engine, run_id: int) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                RatingResultRow.subject_id,
                RatingResultRow.level,
                RatingResultRow.statuses,
                RatingResultRow.measures,
                RatingResultRow.evidence,
                RatingResultRow.designations,
            )
            .where(RatingResultRow.run_id == run_id)
            .order_by(RatingResultRow.subject_id)
        ).all()
    return [tuple(row) for row in rows]


@pytest.mark.sqlite_only
def test_runs_save_with_spark_stores_what_duckdb_stores(
    engine: Engine, store_env: dict[str, str], spark: None
) -> None:
    """``utilcredit runs save --engine spark``: the store exported (to the configured folder),
    rated by Spark and written as a run equal to DuckDB's, engine recorded."""
    _write(engine, _population(40))
    runs: dict[str, int] = {}
    for name in ("spark", "duckdb"):
        result = run_cli(
            store_env,
            "runs", "save", "--policy", "huaiyin-power", "--as-of", "2026-11-30",
            "--engine", name, "--quiet",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        with engine.connect() as connection:
            runs[name] = connection.execute(select(func.max(RatingRunRow.id))).scalar_one()
    with engine.connect() as connection:
        recorded = connection.execute(
            select(RatingRunRow.engine, RatingRunRow.subjects).where(
                RatingRunRow.id == runs["spark"]
            )
        ).one()
    assert tuple(recorded) == ("spark", 40)
    assert _results(engine, runs["spark"]) == _results(engine, runs["duckdb"])
    exported = Path(store_env["UTILCREDIT_DATA_DIR"]) / "parquet" / "_manifest.json"
    assert exported.exists()  # the default folder: <data_dir>/parquet
