"""Export benchmark (issue 13): a demo store's payments exported to the catalog's CSV.

Usage (from the repository root)::

    .venv/bin/python bench/exchange_bench.py --subjects 100000
    .venv/bin/python bench/exchange_bench.py --store /path/utilcredit.db --kinds payments,arrears

Builds the demo store as ``bench/rating_bench.py`` does (``--years 1``: about 16 payments per
subject) unless ``--store`` names one, then runs the product's own command, ``utilcredit
export --kind K --as-of D --format csv``, as a child process for each kind: wall time from
exec to exit (start-up, the batch's transaction, every row read, checked and written, the
checksums) and the child's peak RSS (``wait4``). Goal: ≥ 200,000 rows/s, ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rating_bench  # bench/rating_bench.py, beside this script: the same demo store

AS_OF = dt.date(2026, 11, 22)


def export(store: Path, data_dir: Path, kind: str) -> dict[str, float]:
    env = dict(os.environ)
    env["UTILCREDIT_DATABASE_URL"] = f"sqlite:///{store}"
    env["UTILCREDIT_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "utilcredit", "export", "--kind", kind, "--as-of", str(AS_OF)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: some rows failed the checks
        raise SystemExit(f"export of {kind} failed")
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "utilcredit",
            "batches",
            "list",
            "--kind",
            kind,
            "--format",
            "jsonl",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    batch = json.loads(listed.stdout.splitlines()[0])
    rows = batch["rows"] + batch["invalid_rows"]
    return {
        "rows": rows,
        "invalid_rows": batch["invalid_rows"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
    }


def build_in_child(store: Path, data: Path, subjects: int) -> None:
    """The store is built in a process of its own: a child forked from a process that grew
    while importing would report that size as its own peak (Linux counts the image at fork)."""
    process = multiprocessing.get_context("spawn").Process(
        target=rating_bench.build_store, args=(store, data, subjects, 1, AS_OF)
    )
    process.start()
    process.join()
    if process.exitcode:
        raise SystemExit(f"building the store failed (exit code {process.exitcode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--store", type=Path, default=None, help="SQLite store (reused)")
    parser.add_argument("--kinds", default="payments")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="exchange-bench-"))
    store = args.store
    if store is None:
        store = root / "utilcredit.db"
        build_in_child(store, root / "data", args.subjects)
    for kind in args.kinds.split(","):
        result = export(store, root / "out", kind)
        print(json.dumps({"kind": kind, **result}))


if __name__ == "__main__":
    main()
