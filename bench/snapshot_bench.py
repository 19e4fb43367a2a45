"""Incremental snapshot benchmark (issue 15): a daily delta imported, the snapshot brought up to date.

Usage (from the repository root; the store is one ``rating_bench.py`` built)::

    .venv/bin/python bench/snapshot_bench.py --store bench/out/rating-1000000-1y/utilcredit.db \
        --share 0.01 [--verify]

1. Makes the store's columnar snapshot current (a whole copy if it has none: timed).
2. Writes a delta for ``--share`` of the subjects (every N-th subject id), as a utility's billing
   system would send it the next day, in the canonical import files:
   - ``bills.csv``: each of their accounts' next bill (period 2026-11, due 2026-12-15);
   - ``payments.csv``: that bill paid, and the account's newest earlier payment re-sent with
     its amount one yuan higher (a correction: an update in place);
   - ``incidents.csv``: a late payment on every third of those accounts.
3. Imports the delta (``import_paths``, timed), then refreshes the snapshot (timed: what
   ``utilcredit import`` does after every import), and says whether it was updated or copied.
4. ``--verify``: copies the store whole into a second file and compares every snapshot table
   with it (row counts and an order-independent hash of every row).
5. ``--full``: also times a whole copy (the refresh before incremental updates).

Each run adds a new delta (bill numbers carry ``--day``), so run it with a new ``--day`` to
repeat on the same store.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from utilcredit.db import make_engine
from utilcredit.importing.runner import import_paths
from utilcredit.rating.sql import engines
from utilcredit.rating.sql.engines import DuckDBEngine, refresh_snapshot
from utilcredit.rating.sql.snapshot import SNAPSHOT_TABLES, copied_columns, fingerprint

_CHOSEN = """
WITH chosen AS (SELECT id, account_no, subject_id FROM accounts WHERE subject_id % :every = 0),
newest AS (
    SELECT b.account_id, max(p.id) AS payment_id
    FROM payments p JOIN bills b ON b.id = p.bill_id
    WHERE b.account_id IN (SELECT id FROM chosen)
    GROUP BY b.account_id
)
SELECT c.account_no, c.subject_id, p.payment_no, b.bill_no, p.paid_on, p.amount_fen
FROM chosen c
LEFT JOIN newest n ON n.account_id = c.id
LEFT JOIN payments p ON p.id = n.payment_id
LEFT JOIN bills b ON b.id = p.bill_id
ORDER BY c.id
"""
_HEADERS = {
    "bills.csv": "bill_no,account_no,period_start,period_end,usage,unit,amount,due_on",
    "payments.csv": "payment_no,bill_no,paid_on,amount",
    "incidents.csv": "incident_no,account_no,kind,occurred_on,amount,asset_class,severity,note",
}


def write_delta(store: Path, share: float, day: int, folder: Path) -> tuple[int, int]:
    """The delta files for every N-th subject id; returns (subjects, rows)."""
    every = max(1, round(1 / share))
    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as connection:
        accounts = connection.execute(text(_CHOSEN), {"every": every}).all()
    engine.dispose()
    lines: dict[str, list[list[str]]] = {name: [] for name in _HEADERS}
    for index, (account_no, _, payment_no, paid_bill, paid_on, paid_fen) in enumerate(accounts):
        bill_no = f"{account_no}-D{day:04d}"
        lines["bills.csv"].append(
            [bill_no, account_no, "2026-11-01", "2026-11-30", "", "", "321.00", "2026-12-15"]
        )
        lines["payments.csv"].append([f"{bill_no}-1", bill_no, "2026-12-10", "321.00"])
        if payment_no is not None:  # a correction of the newest payment: one yuan more
            corrected = f"{(int(paid_fen) + 100) // 100}.{(int(paid_fen) + 100) % 100:02d}"
            lines["payments.csv"].append([payment_no, paid_bill, str(paid_on), corrected])
        if index % 3 == 0:
            lines["incidents.csv"].append(
                [f"{bill_no}-L", account_no, "late_payment", "2026-12-16", "", "", "", ""]
            )
    for name, rows in lines.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as out:
            out.write(_HEADERS[name] + "\n")
            csv.writer(out).writerows(rows)
    subjects = len({subject for _, subject, *_ in accounts})
    return subjects, sum(len(rows) for rows in lines.values())


def timed_refresh(store: Path) -> tuple[str, float]:
    started = time.perf_counter()
    refreshed = refresh_snapshot(make_engine(f"sqlite:///{store}").url)
    seconds = time.perf_counter() - started
    return (refreshed.mode if refreshed else "not published"), seconds


def table_hashes(duck: object, catalog: str) -> dict[str, tuple[int, int]]:
    """Each snapshot table's row count and the XOR of its rows' hashes (order-independent)."""
    hashes: dict[str, tuple[int, int]] = {}
    for table in SNAPSHOT_TABLES:
        columns = copied_columns(table) + (
            ["paid_by_due", "settled_on"] if table.name == "bills" else []
        )
        listed = ", ".join(f'"{name}"' for name in columns)
        count, digest = duck.execute(  # type: ignore[attr-defined]
            f'SELECT count(*), bit_xor(hash({listed})) FROM {catalog}."{table.name}"'
        ).fetchone()
        hashes[table.name] = (int(count), int(digest or 0))
    return hashes


def verify(store: Path) -> bool:
    """Whether the published snapshot equals a whole copy of the store made now."""
    url = make_engine(f"sqlite:///{store}").url
    duck_engine = DuckDBEngine()
    path = store.with_name(store.name + ".columnar.duckdb")
    with make_engine(str(url)).connect() as connection:
        before = fingerprint(connection)
    with engines.copy_of_store(duck_engine, url, before, settle=True) as whole:
        duck = duck_engine.open_file(path)
        try:
            duck.execute(f"ATTACH '{whole}' AS whole (READ_ONLY)")
            updated, copied = table_hashes(duck, "snapshot"), table_hashes(duck, "whole")
        finally:
            duck.close()
    for name in updated:
        print(f"  {name:15} updated {updated[name]} whole {copied[name]}", file=sys.stderr)
    return updated == copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.01, help="of the subjects changed")
    parser.add_argument("--day", type=int, default=1, help="a new number for each delta")
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--full", action="store_true", help="also time a whole copy")
    args = parser.parse_args()

    mode, seconds = timed_refresh(args.store)
    print(f"snapshot before the delta: {mode} in {seconds:.1f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        subjects, rows = write_delta(args.store, args.share, args.day, Path(folder))
        started = time.perf_counter()
        report = import_paths(
            make_engine(f"sqlite:///{args.store}"),
            [Path(folder) / name for name in _HEADERS],
            actor="snapshot_bench",
        )
        imported = time.perf_counter() - started
    if not report.ok:
        print(f"the delta import failed: {report}", file=sys.stderr)
        return 1
    mode, seconds = timed_refresh(args.store)
    print(f"\ndelta: {subjects:,} subjects, {rows:,} rows, imported in {imported:.1f} s")
    print(f"snapshot refresh after it: **{mode} in {seconds:.2f} s**")
    if args.verify:
        equal = verify(args.store)
        print(f"updated snapshot equals a whole copy: {equal}")
        if not equal:
            return 1
    if args.full:
        path = args.store.with_name(args.store.name + ".columnar.duckdb")
        path.unlink()
        mode, seconds = timed_refresh(args.store)
        print(f"a whole copy instead: {mode} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
