"""Batch rating benchmark (SPEC 4): rate and save a whole demo store with each engine.

Usage (from the repository root)::

    .venv/bin/python bench/rating_bench.py --subjects 1000000 --years 1
    .venv/bin/python bench/rating_bench.py --subjects 100000 --years 1 --engines duckdb,database
    .venv/bin/python bench/rating_bench.py --store /path/utilcredit.db --engines duckdb

1. Generates the demo data set (``utilcredit.demo.generate``; ``--years 1`` gives ≈20 rows per
   subject: 12 bills, their payments, incidents, a report) and imports it into a fresh SQLite
   store (``utilcredit.importing.runner.import_paths``), unless ``--store`` exists already.
2. For each engine, in a fresh process (so peak RSS is the rating's own): rates the policy's
   whole population as of ``--as-of`` and saves each subject's summary (code, level, fired and
   failed clause ids, evidence refs of fired clauses) to a separate SQLite file, with a progress
   bar. The reference evaluator rates a prefix of ``--reference-sample`` subjects only and its
   time is extrapolated linearly (it is per-subject work), which the table says.
3. Prints a Markdown table: subjects, wall seconds (rate + save), subjects/s, peak RSS, and
   each engine's ratio to the reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select, text

from utilcredit import schema
from utilcredit.customers.tables import AccountRow
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
from utilcredit.policies.loader import load_policy
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.sql.engines import get_engine


@dataclass(frozen=True, slots=True)
class EngineRun:
    engine: str
    subjects: int
    seconds: float  # rate + save
    peak_rss_mib: float
    extrapolated_from: int | None = None  # the reference rates a sample

    @property
    def per_second(self) -> float:
        return self.subjects / self.seconds if self.seconds else 0.0


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )


def build_store(store: Path, data: Path, subjects: int, years: int, as_of: dt.date) -> None:
    spec = DemoSpec(subjects=subjects, seed=20261122, as_of=as_of, years=years)
    if not (data / "subjects.csv").exists():
        started = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task("generate", total=subjects)
            generate(spec, data, lambda done: progress.update(task, completed=done))
        print(f"generated in {time.perf_counter() - started:.1f} s → {data}", file=sys.stderr)
    from utilcredit.importing.runner import import_paths  # only the parent imports

    engine = make_engine(f"sqlite:///{store}")
    schema.upgrade(engine)
    started = time.perf_counter()
    import_paths(engine, [data], actor="bench")
    print(f"imported in {time.perf_counter() - started:.1f} s → {store}", file=sys.stderr)
    engine.dispose()


def _save_rows(ratings: list[SubjectRating]) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            r.subject_code,
            r.level.value,
            ",".join(r.fired),
            ",".join(r.failed),
            json.dumps({c.clause_id: c.evidence for c in r.clauses if c.evidence})
            if r.fired
            else "",
        )
        for r in ratings
    ]


def _peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would include the parent's from before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rate_child(
    pipe: Pipe, store: str, results: str, engine_name: str, policy_key: str, as_of: str, limit: int
) -> None:
    policy = load_policy(policy_key).policy
    day = dt.date.fromisoformat(as_of)
    engine = make_engine(f"sqlite:///{store}")
    out = sqlite3.connect(results)
    out.execute("DROP TABLE IF EXISTS ratings")
    out.execute(
        "CREATE TABLE ratings (subject_code TEXT, level TEXT, fired TEXT, failed TEXT, evidence TEXT)"
    )
    started = time.perf_counter()
    with engine.connect() as connection:
        ids = None
        total = connection.execute(
            select(func.count(func.distinct(AccountRow.subject_id))).where(
                AccountRow.utility == policy.utility.value
            )
        ).scalar_one()
        if limit and limit < total:
            ids = list(
                connection.execute(
                    select(AccountRow.subject_id)
                    .where(AccountRow.utility == policy.utility.value)
                    .distinct()
                    .order_by(AccountRow.subject_id)
                    .limit(limit)
                ).scalars()
            )
            total = len(ids)
        done = 0
        batch: list[SubjectRating] = []
        with _progress() as progress:
            task = progress.add_task(f"rate {engine_name}", total=total)
            for rating in get_engine(engine_name).rate(connection, policy, day, ids):
                batch.append(rating)
                if len(batch) == 50_000:
                    out.executemany("INSERT INTO ratings VALUES (?, ?, ?, ?, ?)", _save_rows(batch))
                    done += len(batch)
                    batch.clear()
                    progress.update(task, completed=done)
            out.executemany("INSERT INTO ratings VALUES (?, ?, ?, ?, ?)", _save_rows(batch))
            done += len(batch)
    out.commit()
    out.close()
    seconds = time.perf_counter() - started
    peak = _peak_rss_mib()
    pipe.send(EngineRun(engine_name, done, seconds, peak, limit if ids is not None else None))


def run_engine(
    store: Path, results: Path, engine: str, policy: str, as_of: dt.date, limit: int
) -> EngineRun:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(
        target=_rate_child,
        args=(child, str(store), str(results), engine, policy, as_of.isoformat(), limit),
    )
    process.start()
    child.close()
    while not parent.poll(1.0):
        if not process.is_alive():
            raise RuntimeError(f"the {engine} run died (exit code {process.exitcode})")
    run: EngineRun = parent.recv()
    process.join()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--data", type=Path, default=None, help="demo CSV folder (reused)")
    parser.add_argument("--store", type=Path, default=None, help="SQLite store (reused)")
    parser.add_argument("--engines", default="duckdb,database,reference")
    parser.add_argument("--policy", default="lianshui-water")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 22))
    parser.add_argument("--reference-sample", type=int, default=20_000)
    args = parser.parse_args()

    root = Path("bench/out") / f"rating-{args.subjects}-{args.years}y"
    root.mkdir(parents=True, exist_ok=True)
    store: Path = args.store or root / "utilcredit.db"
    if not store.exists():
        build_store(store, args.data or root / "data", args.subjects, args.years, args.as_of)
    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "subjects",
                "accounts",
                "bills",
                "payments",
                "incidents",
                "credit_reports",
            )
        }
    engine.dispose()
    records = sum(counts.values())
    print(f"store {store}: {counts} = {records:,} records", file=sys.stderr)

    runs: list[EngineRun] = []
    for name in args.engines.split(","):
        limit = args.reference_sample if name == "reference" else 0
        run = run_engine(store, root / f"ratings-{name}.db", name, args.policy, args.as_of, limit)
        runs.append(run)
        print(json.dumps(asdict(run)), file=sys.stderr)

    reference = next((r for r in runs if r.engine == "reference"), None)
    print(f"\n{counts['subjects']:,} subjects, {records:,} records, policy {args.policy}\n")
    print(
        "| engine | subjects rated | wall s (rate + save) | subjects/s | peak RSS MiB | × reference |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        ratio = f"{run.per_second / reference.per_second:.0f}×" if reference else "–"
        note = f" (sample of {run.extrapolated_from:,})" if run.extrapolated_from else ""
        print(
            f"| {run.engine}{note} | {run.subjects:,} | {run.seconds:.1f} | {run.per_second:,.0f} "
            f"| {run.peak_rss_mib:,.0f} | {ratio} |"
        )


if __name__ == "__main__":
    main()
