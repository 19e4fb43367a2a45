"""A rating run killed mid-write (SIGKILL, a real process) leaves the previous run current."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import Engine, func, insert, select

from tests.integration.rating_runs.helpers import save, stored
from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.identifiers.model import uscc_check_char
from utilcredit.policies.loader import load_policy
from utilcredit.rating.runs import reads
from utilcredit.rating.runs.model import RunStatus
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow, RatingRunRow

AS_OF = dt.date(2026, 11, 22)
SUBJECTS = 5_000  # several bulk chunks: the kill lands after the first one was written


def uscc(n: int) -> str:
    first = f"91320826{n:09d}"
    return first + uscc_check_char(first)


def populate(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(SubjectRow),
            [{"code": uscc(n), "kind": "legal", "name": f"单位{n}"} for n in range(SUBJECTS)],
        )
        ids = dict(connection.execute(select(SubjectRow.code, SubjectRow.id)).all())
        connection.execute(
            insert(AccountRow),
            [
                {
                    "account_no": f"W{n}",
                    "subject_id": ids[uscc(n)],
                    "utility": "water",
                    "opened_on": dt.date(2020, 1, 1),
                    "payment_mode": "postpaid" if n % 3 == 0 else "prepaid",
                }
                for n in range(SUBJECTS)
            ],
        )


def test_killing_a_rating_run_mid_write_leaves_the_previous_run_current(
    engine: Engine, store_env: dict[str, str]
) -> None:
    populate(engine)
    loaded = load_policy("lianshui-water", AS_OF)
    previous = save(engine, loaded, AS_OF)
    before = stored(engine, previous.id)
    with engine.connect() as connection:
        changes_before = connection.execute(select(func.count(LevelChangeRow.id))).scalar_one()

    # A later run in a real process, killed once it reports its first bulk write.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "utilcredit.cli.runs",
            "save",
            "--policy",
            "lianshui-water",
            "--as-of",
            "2027-11-22",
        ],
        env=store_env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 240
        seen = []
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen.append(line)
            if line.startswith("已写入 / written") or not line:
                break
        assert seen[-1].startswith("已写入 / written"), "".join(seen)
        assert process.poll() is None, "the run finished before it could be interrupted"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    with engine.connect() as connection:
        current = reads.current_run(connection, "lianshui-water")
        runs = connection.execute(select(RatingRunRow.id, RatingRunRow.status)).all()
        killed = [run_id for run_id, status in runs if run_id != previous.id]
        assert len(killed) == 1
        assert dict(runs)[killed[0]] == RunStatus.RUNNING  # visibly interrupted, never complete
        written = connection.execute(
            select(func.count()).where(RatingResultRow.run_id == killed[0])
        ).scalar_one()
        changes_after = connection.execute(select(func.count(LevelChangeRow.id))).scalar_one()
    assert current == previous
    assert written == 0  # the rows written before the kill were rolled back with it
    assert changes_after == changes_before
    assert stored(engine, previous.id) == before

    # The store is usable afterwards and the next run goes on from the previous complete one.
    after = save(engine, loaded, dt.date(2027, 11, 22))
    assert after.base_run_id == previous.id and after.status == RunStatus.COMPLETE
