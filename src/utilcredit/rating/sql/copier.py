"""The one place DuckDB opens a SQLite store: a child process of its own, never the caller's.

DuckDB reads SQLite files through its ``sqlite`` extension, which carries its own copy of the
SQLite library. Two copies of SQLite in one process corrupt a database
(https://www.sqlite.org/howtocorrupt.html §2.2.1): POSIX advisory locks belong to the process
and the file, so when one copy closes the file (or its ``-shm``), the process silently loses the
locks the *other* copy's connections hold. Another process writing the store then takes itself
for the last connection, checkpoints and resets the WAL under the connections still open here,
and those read or write a WAL index that no longer exists: "database disk image is malformed",
or SIGBUS on the truncated shared memory. The product holds its store open with Python's
``sqlite3`` (the SQLAlchemy pool, the API server, ``runs save`` inside its write transaction),
so DuckDB must never open that file in the product's processes.

Hence this module. :func:`run` starts it as a child process (``python -P copier.py``: only the
standard library and DuckDB are imported there, no ``sqlite3``), which attaches the store
read-only, copies the tables into a DuckDB file (a new one, or a copy of the published snapshot
that it brings up to date) and exits; the caller then reads the DuckDB file, which is not
SQLite. The copy is written under a temporary name beside its final place::

    utilcredit.db.columnar.duckdb.<pid>-<random>.tmp     the copy (and its .wal while written)
    utilcredit.db.columnar.duckdb.<pid>-<random>.lock    held (flock) while the copy is in use

The caller holds the lock from before the child starts until the copy is published, opened or
removed, and the child inherits it, so it is released only when both have ended, however they
end (a ``kill -9`` included). Every :func:`reserved` first removes the temporary files whose lock
is free (:func:`remove_stale`): the litter of refreshes killed earlier, never a copy still being
written or used. The child also dies with its parent (Linux: ``PR_SET_PDEATHSIG``), so a killed
refresh does not leave a copier running.

A job is JSON on the child's standard input: ``store`` (the SQLite file), ``target`` (the new
DuckDB file), ``setup`` (DuckDB settings) and ``statements`` (run with the store as the current
catalog and the target attached as ``snapshot_new``), each a ``[sql, parameters]`` pair; a
statement's ``{ids:table}`` stands for the ids an earlier statement put in that table.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

Statement = tuple[str, Sequence[Any]]

TEMPORARY = ".tmp"
LOCK = ".lock"


class CopyError(RuntimeError):
    """The copier process failed (its standard error is the message)."""


# --------------------------------------------------------------------------------------------
# The caller's side
# --------------------------------------------------------------------------------------------


def _temporary_files(beside: Path, token: str) -> tuple[Path, Path, Path]:
    """The copy, its DuckDB WAL and its lock for ``token``."""
    stem = f"{beside.name}.{token}"
    copy = beside.with_name(stem + TEMPORARY)
    return copy, copy.with_name(copy.name + ".wal"), beside.with_name(stem + LOCK)


def _token_of(beside: Path, path: Path) -> str | None:
    """The token of a temporary file of ``beside`` (None for any other file)."""
    prefix = beside.name + "."
    if not path.name.startswith(prefix):
        return None
    rest = path.name[len(prefix) :]
    token, _, suffix = rest.partition(".")
    if token and "." + suffix in (TEMPORARY, TEMPORARY + ".wal", LOCK):
        return token
    return None


def _legacy_writer_alive(token: str) -> bool:
    """Copies named ``<pid>.tmp`` (no lock) come from older versions: kept while that pid runs."""
    if not token.isdigit():
        return False
    try:
        os.kill(int(token), 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def remove_stale(beside: Path) -> list[Path]:
    """Remove the temporary files of copies whose writer has ended; returns what was removed."""
    tokens = {
        token
        for path in beside.parent.glob(glob.escape(beside.name) + ".*")
        if (token := _token_of(beside, path)) is not None
    }
    removed: list[Path] = []
    for token in sorted(tokens):
        copy, wal, lock = _temporary_files(beside, token)
        try:
            descriptor = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            # no lock: written by an older version (see _legacy_writer_alive), or a lock was
            # being made when the glob ran (then there is no copy yet: nothing to remove)
            if _legacy_writer_alive(token):
                continue
            for path in (copy, wal):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
            continue
        try:
            try:
                # flock, not fcntl: it belongs to the open file description, so it conflicts
                # with a holder in this very process too, and closing this descriptor does not
                # release anyone else's lock (fcntl's flaw, the one this module exists for)
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    continue  # in use: a refresh or a rating is working with it
                raise
            for path in (copy, wal, lock):  # the lock last: it guards the others
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
        finally:
            os.close(descriptor)
    return removed


def _lock_new_token(beside: Path) -> tuple[str, int]:
    """A fresh token and the descriptor holding its lock file's flock."""
    while True:
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        _, _, lock = _temporary_files(beside, token)
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            # remove_stale may have taken and removed it between the open and the flock
            if os.fstat(descriptor).st_ino == lock.stat().st_ino:
                return token, descriptor
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)


@contextlib.contextmanager
def reserved(beside: Path) -> Iterator[tuple[Path, int]]:
    """A temporary path beside ``beside`` for a copy, and the descriptor of its held lock.

    The copy stays locked while the block runs and is removed afterwards unless the block moved
    it away (published it). A connection the block opened on it keeps reading it after the
    removal (POSIX unlink semantics).
    """
    remove_stale(beside)
    token, descriptor = _lock_new_token(beside)
    copy, wal, lock = _temporary_files(beside, token)
    try:
        yield copy, descriptor
    finally:
        for path in (copy, wal, lock):  # the lock last: it guards the others
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        os.close(descriptor)


def run(
    store: str,
    target: Path,
    lock: int,
    setup: Sequence[Statement],
    statements: Sequence[Statement],
) -> None:
    """Run the copier on the SQLite file ``store`` writing the DuckDB file ``target`` (a path
    from :func:`reserved`, whose lock descriptor ``lock`` the child inherits)."""
    job = {
        "store": store,
        "target": str(target),
        "setup": [list(statement) for statement in setup],
        "statements": [list(statement) for statement in statements],
        "parent": os.getpid(),
    }
    process = subprocess.Popen(
        # -P: nothing beside this file shadows the standard library or DuckDB
        [sys.executable, "-P", str(Path(__file__).resolve())],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=(lock,),
    )
    try:
        _, error = process.communicate(json.dumps(job).encode())
    except BaseException:  # Ctrl-C, or the caller's thread interrupted: no orphan copier
        process.kill()
        process.wait()
        raise
    if process.returncode != 0:
        detail = error.decode(errors="replace").strip().splitlines()
        raise CopyError(
            "复制 SQLite 存储失败 / copying the SQLite store failed "
            f"(exit {process.returncode}): {detail[-1] if detail else ''}"
        )


# --------------------------------------------------------------------------------------------
# The child's side
# --------------------------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent was gone before the line above
        os._exit(1)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_IDS = re.compile(r"\{ids:(\w+)\}")


def _with_ids(duck: Any, sql: str) -> str:
    """``sql`` with each ``{ids:table}`` replaced by the ids in that table, comma-separated
    (``NULL`` for none): how a query SQLite runs itself (``sqlite_query``, which takes a constant
    text) looks rows up by what an earlier statement found."""

    def listed(match: re.Match[str]) -> str:
        rows = duck.execute(f"SELECT id FROM {match.group(1)} ORDER BY id").fetchall()
        return ",".join(str(int(row[0])) for row in rows) or "NULL"

    return _IDS.sub(listed, sql)


def run_job(job: dict[str, Any]) -> None:
    """Copy as the job says (in the child process)."""
    import duckdb

    duck = duckdb.connect(":memory:")
    try:
        for sql, parameters in job["setup"]:
            duck.execute(sql, parameters)
        duck.execute("LOAD sqlite")
        duck.execute(f"ATTACH {_quoted(job['store'])} AS store (TYPE sqlite, READ_ONLY)")
        duck.execute("USE store")
        duck.execute(f"ATTACH {_quoted(job['target'])} AS snapshot_new")
        for sql, parameters in job["statements"]:
            duck.execute(_with_ids(duck, sql), parameters)
        duck.execute("DETACH snapshot_new")
    finally:
        duck.close()


def main() -> int:
    job = json.loads(sys.stdin.buffer.read())
    _die_with_parent(int(job["parent"]))
    run_job(job)
    return 0


if __name__ == "__main__":
    sys.exit(main())
