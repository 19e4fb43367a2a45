"""The batch engines: one policy rated over the whole store, three ways, one output.

* :class:`ReferenceEngine` — the pure evaluator subject by subject (the semantics);
* :class:`DatabaseEngine` — the compiled query run by the store itself (SQLite or PostgreSQL);
* :class:`DuckDBEngine` — the same compiled query run by DuckDB in-process, reading the columnar
  snapshot of a SQLite store when it is current (:mod:`~utilcredit.rating.sql.snapshot`), else a
  fresh copy of the store, or a PostgreSQL store itself through DuckDB's ``postgres`` extension
  (shipped with ``sqlite`` by the ``duckdb-ext-*`` PyPI packages; nothing is downloaded at run
  time). The fast path on one machine.
* ``SparkEngine`` (:mod:`~utilcredit.rating.sql.spark`) — the same compiled query run by Apache
  Spark over the store's Parquet export, for populations beyond one machine.

All yield :class:`~utilcredit.rating.batch.SubjectRating` in subject id order, identical across
engines (``tests/integration/rating_sql`` holds them to it).

DuckDB reads the store on its own, so it sees only *committed* data: the caller's connection is
used to find the store (and for the reference and database engines, to read it). A SQLite store
is never opened by DuckDB in this process: DuckDB's bundled SQLite would drop the locks of the
process's own ``sqlite3`` connections when it closes the file, and that corrupts the store
(:mod:`~utilcredit.rating.sql.copier` says how); a child process copies it into a DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from itertools import chain, pairwise
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Select
from sqlalchemy.engine import URL

from utilcredit.config import get_settings
from utilcredit.customers import repository as credit_files
from utilcredit.db import make_engine, positional_sql
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import StoredRow, SubjectRating, summarize
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.sql import copier
from utilcredit.rating.sql.compiler import compile_policy
from utilcredit.rating.sql.constructs import DuckDBDialect
from utilcredit.rating.sql.decoder import CompiledPolicy
from utilcredit.rating.sql.snapshot import (
    FULL_COPY_SHARE,
    SNAPSHOT_TABLES,
    SnapshotMeta,
    copy_statements,
    count_changed,
    fingerprint,
    has_settlement,
    publish,
    read_fingerprint,
    read_meta,
    snapshot_path,
    table_marks,
    update_statements,
)
from utilcredit.rating.sql.vocabulary import read_vocabulary

_FETCH = 20_000  # rows per fetch from a result cursor
# Subjects per part of a DuckDB rating (DuckDBEngine._parts), and at most this many parts.
# Measured at 1 M subjects (bench/README.md): 4 parts of 250 k subjects rated in 6.0 s what one
# query did in 7.0 s, 8 parts in 7.1 s, 16 in 8.4 s.
PART_SUBJECTS = 250_000
MAX_PARTS = 64
_Part = TypeVar("_Part")
_Ran = TypeVar("_Ran")


class ReferenceEngine:
    """The reference evaluator over the repository's credit files (slow, and the yardstick)."""

    name = "reference"

    def rate(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        for credit_file in credit_files.iter_credit_files(connection, policy.utility, subject_ids):
            yield summarize(evaluate(credit_file, policy, as_of))


class DatabaseEngine:
    """The compiled query, run by the configured store (SQLite or PostgreSQL)."""

    name = "database"

    def rate(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        return chain.from_iterable(
            self._batches(connection, policy, as_of, subject_ids, stored=False)
        )

    def stored_batches(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[list[StoredRow]]:
        return self._batches(connection, policy, as_of, subject_ids, stored=True)

    def _batches(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None,
        *,
        stored: bool,
    ) -> Iterator[list[Any]]:
        vocabulary = read_vocabulary(policy, lambda query: connection.execute(query).all())
        compiled = compile_policy(policy, as_of, vocabulary, subject_ids)
        # Per statement: Connection.execution_options would stream every later statement of
        # the transaction too (PostgreSQL refuses a server-side cursor for INSERT … SELECT).
        result = connection.execute(
            compiled.statement_for(stored=stored),
            execution_options={"stream_results": True, "yield_per": _FETCH},
        )
        for rows in result.partitions():
            # the driver's rows as plain tuples, which the run's inserts take as they are
            yield compiled.converted([tuple(row) for row in rows], stored=stored)


# --------------------------------------------------------------------------------------------
# DuckDB
# --------------------------------------------------------------------------------------------


def duckdb_extension_directory() -> Path | None:
    """Where the ``duckdb-ext-*`` packages put the extension binaries, if installed."""
    try:
        # a namespace package holding only the extension binaries (duckdb-ext-* on PyPI)
        duckdb_ext = importlib.import_module("duckdb_ext")
    except ImportError:
        return None
    for folder in getattr(duckdb_ext, "__path__", []):
        candidate = Path(folder) / "extensions"
        if candidate.is_dir():
            return candidate
    return None


def _extension_for(url: URL) -> str | None:
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        return "sqlite" if database and database != ":memory:" else None
    if backend == "postgresql":
        return "postgres"
    return None


def duckdb_can_read(url: URL) -> bool:
    """Whether DuckDB (and the extension for this store) is installed and the store is a file/server."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    extension = _extension_for(url)
    folder = duckdb_extension_directory()
    if extension is None or folder is None:
        return False
    binary = f"{'sqlite_scanner' if extension == 'sqlite' else 'postgres_scanner'}.duckdb_extension"
    return any(folder.rglob(binary))


def _quoted(text: str) -> str:
    """A SQL string literal (ATTACH takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _libpq_dsn(url: URL) -> str:
    parts = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value not in (None, ""))


class DuckDBEngine:
    """The compiled query, run by DuckDB in-process over the snapshot or the store (read-only).

    ``snapshot``: ``"refresh"`` (default) rates from the store's columnar snapshot, refreshing it
    first when it is missing or stale; ``"use"`` rates from it only when it is current;
    ``"off"`` always reads the store directly.
    """

    name = "duckdb"
    # DuckDB reads a snapshot, a copy or PostgreSQL of its own, but its rows are not
    # prefetched by a thread (``reads_apart``): fetching and converting them holds the GIL the
    # run's inserts need between rows (21.3–21.6 s a 1 M run without the thread, 23.0–26.3 s
    # with it; bench/README.md). What runs beside the writes is DuckDB itself: the next part's
    # query (:func:`_one_ahead`), which computes without the GIL.
    reads_apart = False

    def __init__(
        self,
        threads: int | None = None,
        memory_limit: str | None = None,
        snapshot: str = "refresh",
        part_subjects: int = PART_SUBJECTS,
    ) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.memory_limit = memory_limit
        self.snapshot = snapshot
        self.part_subjects = part_subjects

    def settings(self, *, copying: bool = False) -> list[tuple[str, list[Any]]]:
        """DuckDB's settings for this engine (here, and in the copier process when
        ``copying``). The memory limit is the engine's, else ``UTILCREDIT_DUCKDB_MEMORY_LIMIT``
        here; a copy keeps DuckDB's own default unless the engine has one: settling the bills
        of a whole copy did not fit in 4GB at 1.43 M subjects (an operator that cannot spill)."""
        memory_limit = self.memory_limit
        if memory_limit is None and not copying:
            memory_limit = get_settings().duckdb_memory_limit
        folder = duckdb_extension_directory()
        statements: list[tuple[str, list[Any]]] = []
        if folder is not None:
            statements.append(("SET extension_directory = ?", [str(folder)]))
        statements.append(("SET autoinstall_known_extensions = false", []))
        statements.append(("SET autoload_known_extensions = false", []))
        statements.append((f"SET threads = {int(self.threads)}", []))
        if memory_limit:
            statements.append(("SET memory_limit = ?", [memory_limit]))
        return statements

    def _new_connection(self) -> Any:
        import duckdb

        connection = duckdb.connect(":memory:")
        for statement, parameters in self.settings():
            connection.execute(statement, parameters)
        return connection

    def connect(self, url: URL) -> Any:
        """A DuckDB connection reading the store (read-only) from its default catalog.

        PostgreSQL: the store itself, attached. SQLite: a copy of the tables the query reads,
        made just now by a child process (:func:`copy_of_store`), never the file itself.
        """
        extension = _extension_for(url)
        if extension is None or duckdb_extension_directory() is None:
            raise RuntimeError(
                f"DuckDB cannot read {url.get_backend_name()} store {url.database!r}: "
                "install duckdb-ext-sqlite / duckdb-ext-postgres, or use --engine database"
            )
        if extension == "sqlite":
            with copy_of_store(self, url, None, settle=False) as copy:
                return self.open_file(copy, catalog="store")
        connection = self._new_connection()
        connection.execute(f"LOAD {extension}")
        connection.execute(f"ATTACH {_quoted(_libpq_dsn(url))} AS store (TYPE postgres, READ_ONLY)")
        connection.execute("USE store.public")
        return connection

    def open_file(self, path: Path, catalog: str = "snapshot") -> Any:
        """A connection to a DuckDB file holding the snapshot tables, whatever its fingerprint
        (benchmarks over a snapshot built without a store)."""
        connection = self._new_connection()
        try:
            connection.execute(f"ATTACH {_quoted(str(path))} AS {catalog} (READ_ONLY)")
        except Exception:
            connection.close()
            raise
        connection.execute(f"USE {catalog}")
        return connection

    def open_snapshot(self, path: Path, expected: list[Any]) -> Any | None:
        """A connection to the snapshot at ``path`` if it matches ``expected``, else None."""
        if not path.exists():
            return None
        try:
            connection = self.open_file(path)
        except Exception:  # a damaged or foreign file is simply not used
            return None
        if read_fingerprint(connection, "snapshot") != expected:
            connection.close()
            return None
        return connection

    def open_for(self, connection: Connection) -> Any:
        """The fastest current source for a rating through ``connection``.

        In ``refresh`` mode a stale snapshot is refreshed and the rating reads the fresh copy,
        published or not (a copy made while the store changed is not published, but it is as
        recent as a direct read of the store would have been).
        """
        url = connection.engine.url
        path = snapshot_path(url) if self.snapshot != "off" else None
        if path is not None:
            duck = self.open_snapshot(path, fingerprint(connection))
            if duck is not None:
                return duck
            if self.snapshot == "refresh" and duckdb_can_read(url):
                _, duck = _refresh(self, url, path, keep_open=True)
                return duck
        return self.connect(url)

    def rate(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        return chain.from_iterable(
            self._opened(connection, policy, as_of, subject_ids, stored=False)
        )

    def stored_batches(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[list[StoredRow]]:
        return self._opened(connection, policy, as_of, subject_ids, stored=True)

    def _opened(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None,
        *,
        stored: bool,
    ) -> Iterator[list[Any]]:
        """:meth:`_batches` over :meth:`open_for`'s source, closed when the rows are read."""
        duck = self.open_for(connection)
        try:
            yield from self._batches(duck, policy, as_of, subject_ids, stored=stored)
        finally:
            duck.close()

    def rate_on(
        self,
        duck: Any,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        """Rate through an open DuckDB connection from :meth:`connect` (reused across policies)."""
        return chain.from_iterable(self._batches(duck, policy, as_of, subject_ids, stored=False))

    def stored_batches_on(
        self,
        duck: Any,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[list[StoredRow]]:
        """:meth:`stored_batches` through an open DuckDB connection from :meth:`connect`."""
        return self._batches(duck, policy, as_of, subject_ids, stored=True)

    def _batches(
        self,
        duck: Any,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None,
        *,
        stored: bool,
    ) -> Iterator[list[Any]]:
        vocabulary = read_vocabulary(policy, lambda query: _run(duck, query).fetchall())
        settled = has_settlement(duck)

        def run(part: tuple[int, int] | None, cursor: Any) -> tuple[CompiledPolicy, Any]:
            compiled = compile_policy(
                policy, as_of, vocabulary, subject_ids, settled_bills=settled, subject_range=part
            )
            # the policy's constants written into the text: DuckDB folds them (the CASEs and
            # coalesces of every clause), which parameters prevent; ≈ 10 % of the query at 1 M
            cursor.execute(duckdb_literal_sql(compiled.statement_for(stored=stored)))
            return compiled, cursor

        parts = self._parts(duck, policy) if subject_ids is None else [None]
        for compiled, cursor in _one_ahead(duck, parts, run):
            while rows := cursor.fetchmany(_FETCH):
                yield compiled.converted(rows, stored=stored)

    def _parts(self, duck: Any, policy: Policy) -> list[tuple[int, int] | None]:
        """Ranges of subject ids that split the policy's population in parts of about
        :attr:`part_subjects` subjects each (cut at its quantiles, so sparse ids make no empty
        parts), when DuckDB reads a file of its own (the snapshot or a copy): each part's query
        then reads only its rows' blocks (zone maps), so the parts cost no more than the whole.
        A PostgreSQL store attached is read whole, once."""
        catalog_type = duck.execute(
            "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        if catalog_type is None or catalog_type[0] != "duckdb":
            return [None]
        subjects = "SELECT DISTINCT subject_id FROM accounts WHERE utility = ?"
        count, first, last = duck.execute(
            f"SELECT count(*), min(subject_id), max(subject_id) FROM ({subjects})",
            [policy.utility.value],
        ).fetchone()
        parts = min(MAX_PARTS, -(-count // self.part_subjects))
        if parts <= 1:
            return [None]
        shares = [index / parts for index in range(1, parts)]
        (cuts,) = duck.execute(
            f"SELECT quantile_disc(subject_id, ?::DOUBLE[]) FROM ({subjects})",
            [shares, policy.utility.value],
        ).fetchone()
        bounds = sorted({first, *cuts, last + 1})
        return [(start, stop) for start, stop in pairwise(bounds)]


def _one_ahead(
    duck: Any,
    parts: Sequence[_Part],
    run: Callable[[_Part, Any], _Ran],
) -> Iterator[_Ran]:
    """``run(part, cursor)`` of each part in order, the next one started in a thread while the
    caller reads this one's rows: DuckDB releases the GIL while a query runs, so its threads
    compute the next part while the caller's thread converts and writes this one. Each part
    runs on a cursor of its own (two, used in turn: a cursor's result lives until its next
    query). A caller that stops early interrupts the query ahead."""
    catalog, schema = duck.execute("SELECT current_database(), current_schema()").fetchone()
    quote = _DUCKDB.identifier_preparer.quote_identifier
    cursors = [duck.cursor(), duck.cursor()]
    for cursor in cursors:
        cursor.execute(f"USE {quote(catalog)}.{quote(schema)}")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duckdb-part")
    ahead: list[tuple[Future[_Ran], Any]] = []  # the part started and not yet taken
    try:
        ahead.append((pool.submit(run, parts[0], cursors[0]), cursors[0]))
        for index in range(len(parts)):
            done = ahead.pop()[0].result()
            if index + 1 < len(parts):
                cursor = cursors[(index + 1) % 2]
                ahead.append((pool.submit(run, parts[index + 1], cursor), cursor))
            yield done
    finally:
        for future, cursor in ahead:
            if not future.cancel():
                cursor.interrupt()
        pool.shutdown(wait=True)
        for cursor in cursors:
            cursor.close()


def copy_of_store(
    engine: DuckDBEngine,
    url: URL,
    before: list[Any] | None,
    *,
    settle: bool,
    update: bool = False,
) -> AbstractContextManager[Path]:
    """A DuckDB copy of a SQLite store's snapshot tables, made by a child process (the file
    exists, locked, while the block runs). ``update``: start from a copy of the published
    snapshot and bring it up to date (:func:`snapshot.update_statements`), when it allows."""
    path = snapshot_path(url)
    assert path is not None, "only SQLite files are copied"
    return _copied(engine, str(url.database), path, before, settle=settle, update=update)


@contextmanager
def _copied(
    engine: DuckDBEngine,
    store: str,
    path: Path,
    before: list[Any] | None,
    *,
    settle: bool,
    update: bool,
) -> Iterator[Path]:
    with copier.reserved(path) as (copy, lock):
        statements = _updating(engine, path, copy, before) if update else None
        if statements is None:
            statements = copy_statements(before, settle=settle)
        copier.run(store, copy, lock, engine.settings(copying=True), statements)
        yield copy


def _updating(
    engine: DuckDBEngine, published: Path, copy: Path, before: list[Any] | None
) -> list[tuple[str, list[Any]]] | None:
    """Copy the published snapshot to ``copy`` and say what brings it up to ``before``; None
    (and no copy) when it cannot be updated: gone, damaged, or of another layout."""
    try:
        shutil.copyfile(published, copy)
        meta = _meta_of(engine, copy)
    except OSError:
        meta = None
    if before is None or meta is None or meta.fingerprint[0] != before[0]:
        copy.unlink(missing_ok=True)
        return None
    return update_statements(meta, before)


def _meta_of(engine: DuckDBEngine, path: Path) -> SnapshotMeta | None:
    try:
        duck = engine.open_file(path)
    except Exception:  # a damaged or foreign file
        return None
    try:
        return read_meta(duck, "snapshot")
    finally:
        duck.close()


@dataclass(frozen=True, slots=True)
class SnapshotRefresh:
    """A published refresh: ``current`` (nothing had changed), ``updated`` (the changed rows
    rewritten) or ``copied`` (the store copied whole)."""

    mode: str


def refresh_snapshot(url: URL, threads: int | None = None) -> SnapshotRefresh | None:
    """Bring a SQLite store's columnar snapshot up to date; None when the store changed
    meanwhile (the copy is then discarded) or the store has no snapshot. Removes the temporary
    copies that refreshes killed earlier left behind."""
    path = snapshot_path(url)
    if path is None or not duckdb_can_read(url):
        return None
    refresh, _ = _refresh(DuckDBEngine(threads=threads), url, path, keep_open=False)
    return refresh


def _refresh(
    engine: DuckDBEngine, url: URL, path: Path, *, keep_open: bool
) -> tuple[SnapshotRefresh | None, Any]:
    """Update or copy, then publish if the store did not change meanwhile; with ``keep_open``,
    also a DuckDB connection reading the result (published or not)."""
    store = make_engine(url.render_as_string(hide_password=False))
    duck = None
    try:
        with store.connect() as connection:
            before = fingerprint(connection)
            published = _meta_of(engine, path) if path.exists() else None
            if published is not None and published.fingerprint == before:
                return SnapshotRefresh("current"), engine.open_file(path) if keep_open else None
            update = published is not None and _worth_updating(connection, published, before)
        with copy_of_store(engine, url, before, settle=True, update=update) as copy:
            if keep_open:  # opened before publish: the connection reads this copy either way
                duck = engine.open_file(copy)
            with store.connect() as connection:
                unchanged = fingerprint(connection) == before
            if unchanged:
                publish(copy, path)
    except BaseException:
        if duck is not None:
            duck.close()
        raise
    finally:
        store.dispose()
    return (SnapshotRefresh("updated" if update else "copied") if unchanged else None), duck


def _worth_updating(connection: Connection, published: SnapshotMeta, before: list[Any]) -> bool:
    """Whether rewriting the rows changed since ``published`` beats copying the store whole:
    the same layout, and few rows rewritten since its last full copy (:data:`FULL_COPY_SHARE`)."""
    if published.fingerprint[0] != before[0]:
        return False
    marks = table_marks(published.fingerprint)
    changed = sum(count_changed(connection, t, marks[t.name]) for t in SNAPSHOT_TABLES)
    return published.replaced + changed <= FULL_COPY_SHARE * published.rows


_DUCKDB = DuckDBDialect()


def duckdb_literal_sql(statement: Select[Any]) -> str:
    """The DuckDB text of a SQLAlchemy statement with its parameters written in as literals
    (SQLAlchemy's literal rendering quotes strings; the values are the policy's and the
    vocabulary's, never a request's)."""
    compiled = statement.compile(
        dialect=_DUCKDB, compile_kwargs={"literal_binds": True, "render_postcompile": True}
    )
    return str(compiled)


def duckdb_sql(statement: Select[Any]) -> tuple[str, list[Any]]:
    """The DuckDB text and positional parameters of a SQLAlchemy statement."""
    return positional_sql(statement, _DUCKDB)


def _run(duck: Any, statement: Select[Any]) -> Any:
    text, params = duckdb_sql(statement)
    return duck.execute(text, params)
