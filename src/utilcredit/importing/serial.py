"""One import at a time per store.

Two imports into one store at once race: both may find a table empty and take the plain-insert
path (SQLite), or count each other's rows as their own (PostgreSQL), and upserts of the same
keys in different orders can deadlock. So an import holds a lock for its whole run (every file
of a folder or an upload, so a folder is imported parents first without another import in
between), and a second import waits for it, up to ``wait`` seconds, then is refused with a
message naming the run in progress.

- SQLite (a file): an advisory ``flock`` on ``<store file>.import-lock`` beside the database.
  The operating system releases it when its holder exits, however it exits; it works between
  processes and between threads (each import opens the lock file on its own).
- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, released when the import ends or its session does.
- An SQLite store in memory: a lock in this process (no other process can reach the store).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL

from utilcredit.errors import ImportFileError
from utilcredit.importing.tables import ImportRunRow
from utilcredit.localtime import SHANGHAI

# The advisory lock key of the import on PostgreSQL (any constant; advisory locks are per
# database): "utilcred" as a 64-bit integer.
PG_LOCK_KEY = int.from_bytes(b"utilcred", "big") >> 1
_POLL_SECONDS = 0.1


class ImportBusyError(ImportFileError):
    """Another import of the same store is running (and did not end within the wait)."""

    code = "import_busy"


_memory_locks: dict[str, threading.Lock] = {}
_memory_locks_guard = threading.Lock()


@contextmanager
def import_lock(engine: Engine, wait: float) -> Iterator[None]:
    """Hold the store's import lock for the block; :class:`ImportBusyError` when another import
    holds it for more than ``wait`` seconds."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, wait):
            yield
        return
    path = lock_path(engine.url)
    if path is None:
        with _memory_lock(engine, wait):
            yield
        return
    with _file_lock(engine, path, wait):
        yield


def lock_path(url: URL) -> Path | None:
    """The lock file of an SQLite store kept in a file (``None`` for other stores)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".import-lock")


@contextmanager
def _file_lock(engine: Engine, path: Path, wait: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ImportBusyError(busy_message(engine)) from None
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            # Unlock explicitly: a forked CSV worker shares the descriptor until it exits.
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _postgres_lock(engine: Engine, wait: float) -> Iterator[None]:
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + wait
        try_lock = text("SELECT pg_try_advisory_lock(:key)")
        while not connection.execute(try_lock, {"key": PG_LOCK_KEY}).scalar_one():
            if time.monotonic() >= deadline:
                raise ImportBusyError(busy_message(engine))
            time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            except Exception:
                # The session may hold the lock still: never give it back to the pool.
                with suppress(Exception):
                    connection.invalidate()
    finally:
        connection.close()


@contextmanager
def _memory_lock(engine: Engine, wait: float) -> Iterator[None]:
    key = engine.url.render_as_string(hide_password=True)
    with _memory_locks_guard:
        lock = _memory_locks.setdefault(key, threading.Lock())
    acquired = lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False)
    if not acquired:
        raise ImportBusyError(busy_message(engine))
    try:
        yield
    finally:
        lock.release()


def busy_message(engine: Engine) -> str:
    """The refusal, naming the run in progress: the latest run still ``running`` (one left
    running by a crash is older than the holder's, which started after it took the lock)."""
    run: tuple[int, dt.datetime | None] | None = None
    with suppress(Exception), engine.connect() as connection:
        row = connection.execute(
            select(ImportRunRow.id, ImportRunRow.started_at)
            .where(ImportRunRow.status == "running")
            .order_by(ImportRunRow.id.desc())
            .limit(1)
        ).first()
        run = (row[0], row[1]) if row else None
    if run is None:
        return "另一导入正在进行，请稍后再试 / another import is running; try again later"
    run_id, started = run
    since = _local(started)
    return (
        f"另一导入正在进行（运行 {run_id}，开始于 {since}），请稍后再试 / another import is "
        f"running (run {run_id} since {since}); try again later"
    )


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "?"
    if moment.tzinfo is None:  # SQLite keeps UTC without an offset
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
