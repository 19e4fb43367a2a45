"""The Spark engine: the compiled policy run by Apache Spark over the store's Parquet export.

The query is the one every other batch engine runs — :func:`~utilcredit.rating.sql.compiler.compile_policy`'s
SQLAlchemy expression, rendered for Spark SQL by :class:`~utilcredit.rating.sql.constructs.SparkDialect`
— so no rule is written twice. Spark reads the tables from the Parquet export
(:mod:`~utilcredit.rating.sql.parquet`; :meth:`SparkEngine.rate` brings it up to date first), one
temporary view per table under the store's table names, and writes the rated rows as Parquet
beside the export; this process reads them back in subject id order (DuckDB) and decodes them
exactly as the DuckDB and database engines do. On a cluster the export folder must be one the
executors read too (docs/spark.md).

The Spark session (a JVM: pyspark starts it) is made once per process, with ``spark.master`` and
the other :class:`~utilcredit.config.SparkSettings`, and reused by every later rating.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select

from utilcredit.config import SparkSettings, get_settings
from utilcredit.db import positional_sql
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import StoredRow, SubjectRating
from utilcredit.rating.sql import parquet
from utilcredit.rating.sql.compiler import compile_policy
from utilcredit.rating.sql.constructs import SparkDialect
from utilcredit.rating.sql.decoder import CompiledPolicy
from utilcredit.rating.sql.vocabulary import read_vocabulary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_FETCH = 20_000
_SPARK = SparkDialect()
_RESULTS = "_results"

# DuckDB's type names in the manifest → Spark's, for the view of a table with no rows.
_SPARK_TYPES = {
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "SMALLINT": "SMALLINT",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "BOOLEAN": "BOOLEAN",
}


def spark_sql(statement: Select[Any]) -> tuple[str, list[Any]]:
    """The Spark SQL text and positional parameters of a SQLAlchemy statement."""
    return positional_sql(statement, _SPARK)


_session: SparkSession | None = None


def spark_session(settings: SparkSettings | None = None) -> SparkSession:
    """This process's Spark session (started on first use, with ``settings``)."""
    global _session
    if _session is not None:
        return _session
    from pyspark.sql import SparkSession

    settings = settings or get_settings().spark
    builder = (
        SparkSession.builder.appName("utilcredit")
        .master(settings.master)
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.enableVectorizedReader", "true")
    )
    for key, value in settings.conf.items():
        builder = builder.config(key, value)
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    return _session


def stop_spark() -> None:
    """Stop this process's Spark session (its JVM exits with the process anyway)."""
    global _session
    if _session is not None:
        _session.stop()
        _session = None


def export_store(
    connection: Connection, directory: Path, *, part_subjects: int = parquet.PART_SUBJECTS
) -> parquet.ExportReport:
    """Bring the Parquet export of ``connection``'s store up to date (the snapshot of a SQLite
    store, refreshed first when stale; a PostgreSQL store through DuckDB)."""
    from utilcredit.rating.sql.engines import DuckDBEngine
    from utilcredit.rating.sql.snapshot import has_settlement

    duck = DuckDBEngine(snapshot="refresh").open_for(connection)
    try:
        return parquet.export(
            duck, directory, settled=has_settlement(duck), part_subjects=part_subjects
        )
    finally:
        duck.close()


class SparkEngine:
    """The compiled query, run by Spark over the Parquet export at ``directory``.

    ``export``: ``"refresh"`` (default) brings the export up to date with the store before
    rating; ``"use"`` rates the export as it is (a cluster job whose export was written by
    ``db export-parquet`` elsewhere).
    """

    name = "spark"
    reads_apart = True  # Spark reads the Parquet export

    def __init__(
        self,
        directory: Path | None = None,
        export: str = "refresh",
        settings: SparkSettings | None = None,
    ) -> None:
        self.directory = directory or get_settings().resolved_parquet_dir
        self.export = export
        self.settings = settings

    def rate(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        return chain.from_iterable(
            self._from_store(connection, policy, as_of, subject_ids, stored=False)
        )

    def stored_batches(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[list[StoredRow]]:
        return self._from_store(connection, policy, as_of, subject_ids, stored=True)

    def rate_export(
        self, policy: Policy, as_of: dt.date, subject_ids: Sequence[int] | None = None
    ) -> Iterator[SubjectRating]:
        """Rate the export as it is, without a store (benchmarks, cluster jobs)."""
        return chain.from_iterable(self._batches(policy, as_of, subject_ids, stored=False))

    def stored_batches_export(
        self, policy: Policy, as_of: dt.date, subject_ids: Sequence[int] | None = None
    ) -> Iterator[list[StoredRow]]:
        """:meth:`stored_batches` over the export as it is."""
        return self._batches(policy, as_of, subject_ids, stored=True)

    def _from_store(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None,
        *,
        stored: bool,
    ) -> Iterator[list[Any]]:
        if self.export == "refresh":
            export_store(connection, self.directory)
        return self._batches(policy, as_of, subject_ids, stored=stored)

    def _batches(
        self,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None,
        *,
        stored: bool,
    ) -> Iterator[list[Any]]:
        spark = spark_session(self.settings)
        results = self.directory / _RESULTS / uuid.uuid4().hex
        with parquet.locked(self.directory, exclusive=False):
            manifest = parquet.Manifest.read(self.directory)
            if manifest is None:
                raise FileNotFoundError(
                    f"no Parquet export at {self.directory}: run `utilcredit db export-parquet`"
                )
            _register_views(spark, self.directory, manifest)
            vocabulary = read_vocabulary(policy, lambda query: _run(spark, query).collect())
            compiled = compile_policy(
                policy, as_of, vocabulary, subject_ids, settled_bills=manifest.settled
            )
            statement = compiled.statement_for(stored=stored)
            _run(spark, statement).write.mode("overwrite").parquet(str(results))
        try:
            yield from _read_back(results, compiled, stored=stored)
        finally:
            shutil.rmtree(results, ignore_errors=True)


def _run(spark: SparkSession, statement: Select[Any]) -> Any:
    text, params = spark_sql(statement)
    return spark.sql(text, args=params)


def _register_views(spark: SparkSession, directory: Path, manifest: parquet.Manifest) -> None:
    """One temporary view per exported table, under the store's table name."""
    for table, columns in manifest.columns.items():
        if parquet.part_folders(directory, table):
            frame = spark.read.parquet(str(directory / table))
        else:  # no rows: an empty view of the same columns
            schema = ", ".join(f"`{name}` {_SPARK_TYPES.get(kind, kind)}" for name, kind in columns)
            frame = spark.createDataFrame([], schema)
        frame.createOrReplaceTempView(table)


def _read_back(
    results: Path,
    compiled: CompiledPolicy,
    *,
    stored: bool,
) -> Iterator[list[Any]]:
    """The rated rows Spark wrote, in subject id order (the compiled query's first column)."""
    import duckdb

    files = sorted(results.glob("*.parquet"))
    if not files:
        return
    duck = duckdb.connect(":memory:")
    try:
        names = "[" + ", ".join(f"'{str(f).replace(chr(39), chr(39) * 2)}'" for f in files) + "]"
        cursor = duck.execute(f"SELECT * FROM read_parquet({names}) ORDER BY 1")
        while rows := cursor.fetchmany(_FETCH):
            yield compiled.converted(rows, stored=stored)
    finally:
        duck.close()
