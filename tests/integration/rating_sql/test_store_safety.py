"""The DuckDB engine never endangers the SQLite store it rates, and a killed refresh leaves no litter.

* DuckDB reads a SQLite store through its own bundled copy of SQLite. Had that copy opened and
  closed the store's files in a process that holds the store open with Python's ``sqlite3``, the
  process would have lost its POSIX locks, and a second process writing and closing its own
  connections would have checkpointed and reset the WAL under it: "database disk image is
  malformed" or SIGBUS (https://www.sqlite.org/howtocorrupt.html §2.2.1). Real processes, a real
  WAL store, the product's own rating and refresh paths.
* A refresh killed with SIGKILL leaves its temporary copy; the next refresh removes it, but never
  the temporary copy of a refresh that is still running.

SQLite only: both concern the SQLite file and the snapshot beside it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from utilcredit import schema
from utilcredit.db import make_engine
from utilcredit.rating.sql import snapshot
from utilcredit.rating.sql.engines import refresh_snapshot

WRITE_SECONDS = 3.0

# Process A: holds the store open (SQLAlchemy's pooled sqlite3 connection, WAL, inside a write
# transaction as ``runs save`` does), rates with the DuckDB engine (reading the store directly,
# then through a refreshed snapshot) and refreshes the snapshot, then keeps writing.
_HOLDER = """
import datetime as dt, sys, time
from utilcredit.db import make_engine
from utilcredit.policies.loader import load_policy
from utilcredit.rating.sql.engines import DuckDBEngine, refresh_snapshot

url, seconds = sys.argv[1], float(sys.argv[2])
engine = make_engine(url)
policy = load_policy("lianshui-water").policy
as_of = dt.date(2026, 11, 22)
with engine.connect() as holder:
    holder.exec_driver_sql("INSERT INTO scratch (who, payload) VALUES ('a', randomblob(2000))")
    rated = list(DuckDBEngine(threads=1, snapshot="off").rate(holder, policy, as_of))
    assert len(rated) == 40, len(rated)
    rated = list(DuckDBEngine(threads=1).rate(holder, policy, as_of))
    assert len(rated) == 40, len(rated)
    assert refresh_snapshot(engine.url, threads=1)
    holder.commit()
    print("ready", flush=True)
    end, written = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        holder.exec_driver_sql("INSERT INTO scratch (who, payload) VALUES ('a', randomblob(2000))")
        holder.commit()
        written += 1
    assert holder.exec_driver_sql("PRAGMA quick_check").scalar() == "ok"
print("written", written, flush=True)
"""

# Process B: writes with short-lived connections; closing the last one it sees checkpoints the
# WAL and resets it, which is safe only if it sees every other connection's locks.
_OTHER = """
import sqlite3, sys, time

path, seconds = sys.argv[1], float(sys.argv[2])
end, written = time.monotonic() + seconds, 0
while time.monotonic() < end:
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("INSERT INTO scratch (who, payload) VALUES ('b', randomblob(2000))")
    connection.commit()
    connection.close()
    written += 1
print("written", written, flush=True)
"""


def _fresh_store(folder: Path) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'utilcredit.db'}")
    schema.upgrade(engine)
    return engine


def _populate(engine: Engine, subjects: int, bills_per_account: int) -> None:
    """``subjects`` subjects with one water account each, its monthly bills, each paid once."""
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO subjects (id, code, kind, name) "
            "SELECT i, printf('S%09d', i), 'legal', printf('单位%d', i) FROM n",
            (subjects,),
        )
        connection.exec_driver_sql(
            "INSERT INTO accounts (id, account_no, subject_id, utility, opened_on, payment_mode) "
            "SELECT id, 'W' || id, id, 'water', '2020-01-01', 'postpaid' FROM subjects"
        )
        connection.exec_driver_sql(
            "WITH RECURSIVE k(m) AS (SELECT 0 UNION ALL SELECT m + 1 FROM k WHERE m < ?) "
            "INSERT INTO bills (bill_no, account_id, period_start, period_end, amount_fen, due_on) "
            "SELECT 'B' || a.id || '-' || k.m, a.id, date('2024-01-01', '+' || k.m || ' months'), "
            "date('2024-01-01', '+' || (k.m + 1) || ' months', '-1 day'), 10000 + k.m, "
            "date('2024-01-15', '+' || (k.m + 1) || ' months') FROM accounts a, k",
            (bills_per_account - 1,),
        )
        connection.exec_driver_sql(
            "INSERT INTO payments (payment_no, bill_id, paid_on, amount_fen) "
            "SELECT 'P' || id, id, CASE WHEN id % 7 = 0 THEN date(due_on, '+3 days') "
            "ELSE due_on END, amount_fen FROM bills"
        )


@pytest.fixture
def small_store(tmp_path: Path) -> Iterator[Engine]:
    engine = _fresh_store(tmp_path)
    _populate(engine, subjects=40, bills_per_account=12)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE scratch (id INTEGER PRIMARY KEY, who TEXT, payload BLOB)"
        )
    engine.dispose()
    yield engine
    engine.dispose()


def test_rating_with_duckdb_beside_open_sqlite_connections_never_corrupts_the_store(
    small_store: Engine,
) -> None:
    url = small_store.url.render_as_string(hide_password=False)
    database = str(small_store.url.database)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, str(WRITE_SECONDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stderr is not None
        ready = holder.stdout.readline()
        if ready.strip() != "ready":  # the holder failed before writing: say why
            holder.wait(timeout=60)
            pytest.fail(f"holder: {ready}{holder.stdout.read()}{holder.stderr.read()}")
        other = subprocess.run(
            [sys.executable, "-c", _OTHER, database, str(WRITE_SECONDS - 0.5)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        out, err = holder.communicate(timeout=120)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    # SIGBUS (-7) or "database disk image is malformed" before the fix
    assert holder.returncode == 0, f"holder exited {holder.returncode}: {out}{err[-2000:]}"
    assert other.returncode == 0, f"writer exited {other.returncode}: {other.stderr[-2000:]}"
    check = sqlite3.connect(database)
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = dict(check.execute("SELECT who, count(*) FROM scratch GROUP BY who").fetchall())
    finally:
        check.close()
    assert counts["a"] == int(out.split()[-1]) + 1 and counts["b"] == int(other.stdout.split()[-1])


# ------------------------------------------------------------------------------------------
# Temporary copies of killed refreshes
# ------------------------------------------------------------------------------------------


# What ``utilcredit db snapshot`` and ``utilcredit import`` run, in a process of its own.
_REFRESH = """
import sys
from sqlalchemy.engine import make_url
from utilcredit.rating.sql.engines import refresh_snapshot

assert refresh_snapshot(make_url(sys.argv[1]))
"""


def _litter(folder: Path) -> list[str]:
    """Every temporary file a refresh makes beside the store (copies, their WAL, locks)."""
    return sorted(path.name for path in folder.iterdir() if ".columnar.duckdb." in path.name)


def _wait_for_temporary(folder: Path, process: subprocess.Popen[bytes], known: set[str]) -> str:
    """The name of the temporary copy ``process`` writes, once it exists."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for path in folder.glob("*.columnar.duckdb.*.tmp"):
            if path.name not in known:
                return path.name
        assert process.poll() is None, "the refresh finished before it could be interrupted"
        time.sleep(0.002)
    raise AssertionError("no temporary copy appeared")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    """Exited (a zombie holds no files any more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_a_refresh_removes_the_copies_of_killed_refreshes_but_not_of_running_ones(
    tmp_path: Path,
) -> None:
    store = _fresh_store(tmp_path)
    try:
        # large enough that copying takes a while (≈ 0.5 M bills and as many payments)
        _populate(store, subjects=20_000, bills_per_account=24)
        published = snapshot.snapshot_path(store.url)
        assert published is not None
        command = [sys.executable, "-c", _REFRESH, str(store.url)]

        # 1. a refresh killed (SIGKILL) while it copies leaves its temporary copy behind
        killed = subprocess.Popen(command)
        try:
            left = _wait_for_temporary(tmp_path, killed, set())
            helpers = _children(killed.pid)
            os.kill(killed.pid, signal.SIGKILL)
        finally:
            killed.wait(timeout=60)
        deadline = time.monotonic() + 30  # whatever it started dies with it
        while not all(_gone(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(_gone(pid) for pid in helpers), "a helper outlived the killed refresh"
        assert left in _litter(tmp_path)
        assert not published.exists()

        # 2. another refresh, stopped (SIGSTOP) before it could publish its copy
        stopped = subprocess.Popen(command)
        try:
            running = _wait_for_temporary(tmp_path, stopped, {left})
            os.kill(stopped.pid, signal.SIGSTOP)

            # 3. a refresh now removes the killed one's copy, keeps the running one's
            assert refresh_snapshot(store.url, threads=1)
            litter = _litter(tmp_path)
            assert left not in litter and not any(name.startswith(left) for name in litter)
            assert running in litter
        finally:
            os.kill(stopped.pid, signal.SIGCONT)
            stopped.wait(timeout=120)
        assert stopped.returncode == 0
        assert _litter(tmp_path) == []  # the resumed refresh published its copy and cleaned up
        assert refresh_snapshot(store.url, threads=1)
        assert _litter(tmp_path) == []
    finally:
        store.dispose()
