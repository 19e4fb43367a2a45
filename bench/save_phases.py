"""Where one `runs save` spends its time: the run is saved in this process, with the run service's
steps timed (how long each took in all, and when it first started, from the interpreter's start).

    .venv/bin/python bench/save_phases.py --store bench/out/rating-1430000-1y/utilcredit.db

It saves a real run in the store, as ``utilcredit runs save --engine duckdb`` does. The figures
are the main thread's: DuckDB computes the next part of the population in a thread of its own
meanwhile (bench/README.md, "1 M subjects in one run").
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402 - the clock starts before the imports it measures
import datetime as dt  # noqa: E402
import functools  # noqa: E402
import os  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

spent: dict[str, float] = defaultdict(float)
first: dict[str, float] = {}


def timed(owner: Any, name: str) -> None:
    """Replace ``owner.name`` by a wrapper that adds its time to :data:`spent`."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - began
            first.setdefault(name, began - STARTED)

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, required=True, help="SQLite store")
    parser.add_argument("--policy", default="lianshui-water")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 22))
    args = parser.parse_args()
    os.environ["UTILCREDIT_DATABASE_URL"] = f"sqlite:///{args.store.resolve()}"

    from utilcredit.cli import runs
    from utilcredit.rating.runs.repository import results
    from utilcredit.rating.sql.decoder import CompiledPolicy

    for name in ("insert_results", "level_moves", "record_departures", "count_levels"):
        timed(results, name)
    timed(CompiledPolicy, "converted")
    imported = time.perf_counter() - STARTED
    header = runs.rate_save(args.policy, args.as_of, "duckdb", quiet=True)
    print(f"imports done at {imported:.2f} s")
    print(f"run {header.id}: {header.subjects:,} subjects, duration {header.duration_ms} ms")
    for name, seconds in spent.items():
        print(f"  {name:18s} {seconds:6.2f} s  (first at {first[name]:.2f} s)")
    print(f"total {time.perf_counter() - STARTED:.2f} s")


if __name__ == "__main__":
    main()
