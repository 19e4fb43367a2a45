"""Dishonesty-record derivation benchmark (issue 10): ``records derive`` over a whole store.

Usage (from the repository root; the store is the rating benchmark's, built once)::

    .venv/bin/python bench/records_bench.py --subjects 1000000 --years 1

1. Uses (or builds, as ``rating_bench.py`` does) the demo store of ``--subjects`` subjects.
2. Empties the register (records, evidence, history and their audit entries), then runs the
   product's own command ``utilcredit records derive --policy P --as-of D`` as a child
   process for each policy: wall time from exec to exit and the child's peak RSS (``wait4``),
   with the number of candidates it proposed.
3. Runs the same commands again: the idempotent pass (nothing new; every cause is re-read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import rating_bench  # bench/rating_bench.py, beside this script
from sqlalchemy import text

from utilcredit.db import make_engine

REGISTER = ("case_events", "case_attachments", "repairs", "objections", "record_evidence")


@dataclass(frozen=True, slots=True)
class Derive:
    policy: str
    created: int
    known: int
    seconds: float
    peak_rss_mib: float


def empty_register(store: Path) -> None:
    engine = make_engine(f"sqlite:///{store}")
    with engine.begin() as connection:
        for table in REGISTER:
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("UPDATE dishonesty_records SET corrects_id = NULL"))
        connection.execute(text("DELETE FROM dishonesty_records"))
        connection.execute(
            text("DELETE FROM audit_log WHERE entity IN ('record', 'objection', 'repair')")
        )
    engine.dispose()


def derive(store: Path, policy: str, as_of: dt.date) -> Derive:
    command = [
        str(Path(sys.executable).with_name("utilcredit")),
        "records",
        "derive",
        "--policy",
        policy,
        "--as-of",
        as_of.isoformat(),
    ]
    environment = dict(
        os.environ, UTILCREDIT_DATABASE_URL=f"sqlite:///{store.resolve()}", COLUMNS="200"
    )
    started = time.perf_counter()
    child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"utilcredit records derive failed:\n{output}")
    created = re.search(r"new candidates (\d+)", output)
    known = re.search(r"already known (\d+)", output)
    assert created and known, output
    return Derive(
        policy, int(created.group(1)), int(known.group(1)), seconds, usage.ru_maxrss / 1024
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--store", type=Path, default=None, help="SQLite store (reused)")
    parser.add_argument("--policies", default="shaoguan-water,zhanjiang-power")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 22))
    args = parser.parse_args()

    root = Path("bench/out") / f"rating-{args.subjects}-{args.years}y"
    store: Path = args.store or root / "utilcredit.db"
    if not store.exists():
        rating_bench.build_store(store, root / "data", args.subjects, args.years, args.as_of)
    engine = make_engine(f"sqlite:///{store}")
    from utilcredit import schema

    schema.upgrade(engine)  # a store built before the register gets its tables
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("subjects", "accounts", "bills", "payments", "incidents", "reminders")
        }
    engine.dispose()
    print(f"store {store}: {counts}", file=sys.stderr)
    empty_register(store)
    policies = args.policies.split(",")
    first = [derive(store, policy, args.as_of) for policy in policies]
    again = [derive(store, policy, args.as_of) for policy in policies]

    print(f"\n{counts['subjects']:,} subjects, {sum(counts.values()):,} rows read from")
    print("| pass | policy | candidates new | known | wall s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|")
    for label, runs in (("first", first), ("again (idempotent)", again)):
        for run in runs:
            print(
                f"| {label} | {run.policy} | {run.created:,} | {run.known:,} "
                f"| {run.seconds:.1f} | {run.peak_rss_mib:,.0f} |"
            )


if __name__ == "__main__":
    main()
