"""Batch rating benchmark (SPEC 4): rate and save a whole demo store, and each engine's speed.

Usage (from the repository root)::

    .venv/bin/python bench/rating_bench.py --subjects 1000000 --years 1
    .venv/bin/python bench/rating_bench.py --subjects 100000 --years 1 --engines duckdb,database
    .venv/bin/python bench/rating_bench.py --store /path/utilcredit.db --engines duckdb

1. Generates the demo data set (``utilcredit.demo.generate``; ``--years 1`` gives ≈ 36 records per
   subject: 1.66 accounts, 16 bills and as many payments, incidents, a report) and imports it
   into a fresh SQLite store (``utilcredit.importing.runner.import_paths``) unless the store
   exists, then refreshes the columnar snapshot as ``utilcredit import`` does (timed).
2. **Rate and save**: for each engine but the reference, runs the product's own command
   ``utilcredit runs save --policy P --as-of D --engine E --quiet`` as a child process: wall
   time from exec to exit (Python start-up, policy load, the run's two transactions, every
   subject's row and level change written to the store) and the child's peak RSS (``wait4``).
3. **Rate only** (the ratio): each engine, in a fresh process, rates the policy's population
   without saving; the reference evaluator rates a prefix of ``--reference-sample`` subjects
   (per-subject work: its rate extrapolates linearly, which the table says).

``--designations`` measures what a policy's designations cost (issue 11: ≤ 20 % of a run): the
policy (``--policy zhanjiang-power``: 守信用电主体, which reads commitments, a report and three
years of bills and incidents) rated and saved as shipped and with its designations removed,
alternately, ``--repeat`` times each, in fresh processes (the run's two transactions through
``rating.runs.service``, as ``utilcredit runs save`` does; the times are the run's own
``duration``), then rated only. The demo data has no credit commitments: ``--commitments N``
gives every N-th subject with an account of the policy's utility one (various statuses and
dates) before the snapshot is copied — or, with ``--csv-snapshot``, into the snapshot itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import csv_snapshot  # bench/csv_snapshot.py, beside this script
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select, text

from utilcredit import schema
from utilcredit.customers.tables import AccountRow
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
from utilcredit.policies.loader import LoadedPolicy, load_policy
from utilcredit.rating.runs.reads import current_run
from utilcredit.rating.runs.service import begin_run, write_run
from utilcredit.rating.sql.choice import get_engine
from utilcredit.rating.sql.engines import DuckDBEngine

TABLES = (
    "subjects",
    "accounts",
    "bills",
    "payments",
    "incidents",
    "credit_reports",
    "commitments",
)


@dataclass(frozen=True, slots=True)
class SaveRun:
    """``utilcredit runs save`` timed from outside."""

    engine: str
    subjects: int
    seconds: float
    peak_rss_mib: float
    run_duration_ms: int | None  # the run's own figure (rate + write, without start-up)


@dataclass(frozen=True, slots=True)
class RateRun:
    engine: str
    subjects: int
    seconds: float
    peak_rss_mib: float
    sample: bool  # the reference rates a prefix of the population

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


def refresh(store: Path) -> float:
    """``utilcredit db snapshot`` as a child process (so that this process stays small: the
    children it forks later would report its peak RSS as theirs)."""
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("utilcredit")), "db", "snapshot"],
        env=dict(os.environ, UTILCREDIT_DATABASE_URL=f"sqlite:///{store.resolve()}"),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def save_run(store: Path, engine: str, policy: str, as_of: dt.date) -> SaveRun:
    """Time ``utilcredit runs save`` in a child process; its peak RSS from ``wait4``."""
    command = [
        str(Path(sys.executable).with_name("utilcredit")),
        "runs",
        "save",
        "--policy",
        policy,
        "--as-of",
        as_of.isoformat(),
        "--engine",
        engine,
        "--quiet",
    ]
    environment = dict(os.environ, UTILCREDIT_DATABASE_URL=f"sqlite:///{store.resolve()}")
    started = time.perf_counter()
    child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"utilcredit runs save failed:\n{output}")
    with make_engine(f"sqlite:///{store}").connect() as connection:
        header = current_run(connection, policy)
    assert header is not None, "the run is not current"
    return SaveRun(engine, header.subjects, seconds, usage.ru_maxrss / 1024, header.duration_ms)


def _peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would include the parent's from before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _loaded(policy_key: str, designations: bool = True) -> LoadedPolicy:
    """The shipped policy, or (``designations`` False) the same without its designations."""
    loaded = load_policy(policy_key)
    if designations:
        return loaded
    return replace(loaded, policy=loaded.policy.model_copy(update={"designations": ()}))


def _rate_child(
    pipe: Pipe,
    store: str,
    engine_name: str,
    policy_key: str,
    as_of: str,
    limit: int,
    designations: bool = True,
) -> None:
    policy = _loaded(policy_key, designations).policy
    day = dt.date.fromisoformat(as_of)
    engine = make_engine(f"sqlite:///{store}")
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
        started = time.perf_counter()
        done = 0
        with _progress() as progress:
            task = progress.add_task(f"rate {engine_name}", total=total)
            for _ in get_engine(engine_name).rate(connection, policy, day, ids):
                done += 1
                if done % 20_000 == 0:
                    progress.update(task, completed=done)
        seconds = time.perf_counter() - started
    name = engine_name if designations else f"{engine_name} (no designations)"
    pipe.send(RateRun(name, done, seconds, _peak_rss_mib(), ids is not None))


def _rate_snapshot_child(
    pipe: Pipe,
    snapshot: str,
    policy_key: str,
    as_of: str,
    memory_limit: str | None,
    designations: bool = True,
) -> None:
    """DuckDB over a snapshot file alone (no SQLite store): the 10 M subjects run."""
    policy = _loaded(policy_key, designations).policy
    engine = DuckDBEngine(memory_limit=memory_limit)
    duck = engine.open_file(Path(snapshot))
    if memory_limit:  # what does not fit is spilled here
        duck.execute("SET temp_directory = ?", [str(Path(snapshot).parent / "duckdb-spill")])
    started = time.perf_counter()
    done = 0
    with _progress() as progress:
        task = progress.add_task("rate duckdb (snapshot)", total=None)
        for _ in engine.rate_on(duck, policy, dt.date.fromisoformat(as_of)):
            done += 1
            if done % 100_000 == 0:
                progress.update(task, completed=done)
    seconds = time.perf_counter() - started
    name = "duckdb (snapshot from CSV)" + ("" if designations else ", no designations")
    pipe.send(RateRun(name, done, seconds, _peak_rss_mib(), False))


def _rate_spark_child(
    pipe: Pipe, snapshot: str, policy_key: str, as_of: str, master: str, part_subjects: int
) -> None:
    """Spark over the Parquet export of a snapshot file: the export (incremental: only what
    changed since the last one), the session's start and the rating, each timed apart."""
    from utilcredit.config import SparkSettings
    from utilcredit.rating.sql import parquet
    from utilcredit.rating.sql.spark import SparkEngine, spark_session

    policy = _loaded(policy_key).policy
    directory = Path(snapshot).parent / f"parquet-{part_subjects}"
    duck = DuckDBEngine().open_file(Path(snapshot))
    report = parquet.export(duck, directory, settled=True, part_subjects=part_subjects)
    duck.close()
    print(
        f"parquet export: {report.parts} parts, {report.written} written, "
        f"{report.rows_written:,} rows in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    started = time.perf_counter()
    settings = SparkSettings(master=master, driver_memory="6g", shuffle_partitions=8)
    spark_session(settings)
    print(f"spark session started in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    engine = SparkEngine(directory, export="use", settings=settings)
    started = time.perf_counter()
    done = sum(1 for _ in engine.rate_export(policy, dt.date.fromisoformat(as_of)))
    seconds = time.perf_counter() - started
    pipe.send(RateRun(f"spark {master} (Parquet export)", done, seconds, _peak_rss_mib(), False))


def rate_only(
    store: Path,
    engine: str,
    policy: str,
    as_of: dt.date,
    limit: int,
    memory_limit: str | None = None,
    designations: bool = True,
) -> RateRun:
    run: RateRun
    if engine == "snapshot":
        run = _in_child(
            _rate_snapshot_child, str(store), policy, as_of.isoformat(), memory_limit, designations
        )
    else:
        run = _in_child(
            _rate_child, str(store), engine, policy, as_of.isoformat(), limit, designations
        )
    return run


def _save_child(
    pipe: Pipe, store: str, engine_name: str, policy_key: str, as_of: str, designations: bool
) -> None:
    """A run saved as ``utilcredit runs save`` saves it (begin, then rate + write + complete),
    of the policy with or without its designations; sends the run's own duration."""
    loaded = _loaded(policy_key, designations)
    engine = make_engine(f"sqlite:///{store}")
    day = dt.date.fromisoformat(as_of)
    with engine.begin() as connection:
        run_id = begin_run(connection, loaded, day, engine=engine_name, actor="bench")
    started = time.perf_counter()
    with engine.begin() as connection:
        header = write_run(connection, run_id, loaded, get_engine(engine_name))
    seconds = time.perf_counter() - started  # write_run and its commit
    engine.dispose()
    name = engine_name if designations else f"{engine_name} (no designations)"
    pipe.send(SaveRun(name, header.subjects, seconds, _peak_rss_mib(), header.duration_ms))


def save_in_process(
    store: Path, engine: str, policy: str, as_of: dt.date, designations: bool
) -> SaveRun:
    run: SaveRun = _in_child(
        _save_child, str(store), engine, policy, as_of.isoformat(), designations
    )
    return run


def add_commitments(store: Path, utility: str, every: int) -> int:
    """Give every ``every``-th subject with an account of ``utility`` a credit commitment to it
    (statuses, validity and ends spread over the year before 2026-11-22), unless it has one."""
    engine = make_engine(f"sqlite:///{store}")
    with engine.begin() as connection:
        connection.execute(text(_COMMITMENTS_SQL), {"utility": utility, "every": every})
        count = int(connection.execute(text("SELECT count(*) FROM commitments")).scalar_one())
    engine.dispose()
    return count


# made 0–364 days before 2026-11-22; one in four valid for a year; statuses in turn (made,
# in force ×3, fulfilled, breached, expired, withdrawn) decided 30 days after made
_COMMITMENT_COLUMNS = """
    'BENCH-' || s.id AS code, s.id AS subject_id, :utility AS utility,
    'bench' AS template_key, '1' AS template_version, 'approval_substitute' AS commitment_type,
    'bench' AS reason, 'bench' AS content, 'bench' AS liability, '{}' AS fields,
    date('2026-11-22', '-' || (s.id % 365) || ' days') AS made_on,
    CASE WHEN s.id % 4 = 0 THEN date('2026-11-22', '-' || (s.id % 365) || ' days', '+1 year')
    END AS valid_until,
    CASE s.id % 8 WHEN 0 THEN 'made' WHEN 4 THEN 'fulfilled' WHEN 5 THEN 'breached'
         WHEN 6 THEN 'expired' WHEN 7 THEN 'withdrawn' ELSE 'in_force' END AS status,
    date('2026-11-22', '-' || (s.id % 365) || ' days', '+30 days') AS status_on,
    'bench' AS accepting_unit, '11000000000000000X' AS accepting_unit_code,
    'bench' AS determining_unit, '11000000000000000X' AS determining_unit_code,
    'public' AS disclosure, 'bench' AS created_by"""
_COMMITMENTS_SQL = f"""
INSERT INTO commitments (code, subject_id, utility, template_key, template_version,
    commitment_type, reason, content, liability, fields, made_on, valid_until, status, status_on,
    accepting_unit, accepting_unit_code, determining_unit, determining_unit_code, disclosure,
    created_by)
SELECT {_COMMITMENT_COLUMNS}
FROM subjects s
WHERE s.id % :every = 0
  AND EXISTS (SELECT 1 FROM accounts a WHERE a.subject_id = s.id AND a.utility = :utility)
  AND NOT EXISTS (SELECT 1 FROM commitments c WHERE c.code = 'BENCH-' || s.id)
"""


def _in_child(target: Any, *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(child, *args))
    process.start()
    child.close()
    while not parent.poll(1.0):
        if not process.is_alive():
            raise RuntimeError(f"the rating process died (exit code {process.exitcode})")
    run = parent.recv()
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
    parser.add_argument("--no-rate-only", action="store_true", help="skip the rate-only pass")
    parser.add_argument(
        "--csv-snapshot",
        action="store_true",
        help="no SQLite store: build the snapshot from the demo CSVs (bench/csv_snapshot.py) "
        "and rate it with DuckDB only (the 10 M subjects run)",
    )
    parser.add_argument(
        "--memory-limit", default=None, help="DuckDB's memory_limit for --csv-snapshot (e.g. 3GB)"
    )
    parser.add_argument(
        "--designations",
        action="store_true",
        help="the policy with and without its designations (issue 11); see the module help",
    )
    parser.add_argument(
        "--spark",
        default=None,
        metavar="MASTER",
        help="with --csv-snapshot: also rate with Spark (e.g. local[2]) over the snapshot's "
        "Parquet export (written beside it, incrementally)",
    )
    parser.add_argument("--part-subjects", type=int, default=65_536, help="Parquet partitioning")
    parser.add_argument("--commitments", type=int, default=5, help="every N-th subject commits")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (--designations)")
    args = parser.parse_args()

    root = Path("bench/out") / f"rating-{args.subjects}-{args.years}y"
    root.mkdir(parents=True, exist_ok=True)
    if args.csv_snapshot:
        rate_csv_snapshot(root, args.data or root / "data", args)
        return
    store: Path = args.store or root / "utilcredit.db"
    if not store.exists():
        build_store(store, args.data or root / "data", args.subjects, args.years, args.as_of)
    else:
        schema.upgrade(make_engine(f"sqlite:///{store}"))  # a store built by older code
    if args.designations:
        utility = load_policy(args.policy).policy.utility.value
        print(
            f"commitments: {add_commitments(store, utility, args.commitments):,}", file=sys.stderr
        )
    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in TABLES
        }
    engine.dispose()
    records = sum(counts.values())
    print(f"store {store}: {counts} = {records:,} records", file=sys.stderr)
    engines = args.engines.split(",")
    snapshot_seconds = refresh(store) if "duckdb" in engines else None
    if snapshot_seconds is not None:
        print(f"columnar snapshot refreshed in {snapshot_seconds:.1f} s", file=sys.stderr)

    if args.designations:
        compare_designations(store, engines, args)
        return
    saves = [
        save_run(store, name, args.policy, args.as_of) for name in engines if name != "reference"
    ]
    for save in saves:
        print(json.dumps(asdict(save)), file=sys.stderr)
    rates: list[RateRun] = []
    if not args.no_rate_only:
        for name in engines:
            limit = args.reference_sample if name == "reference" else 0
            rates.append(rate_only(store, name, args.policy, args.as_of, limit))
            print(json.dumps(asdict(rates[-1])), file=sys.stderr)

    print(f"\n{counts['subjects']:,} subjects, {records:,} records, policy {args.policy}")
    if snapshot_seconds is not None:
        print(f"columnar snapshot refresh: {snapshot_seconds:.1f} s\n")
    print("| engine | rate and save (`runs save`) | subjects | wall s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|")
    for save in saves:
        inner = f"run {save.run_duration_ms / 1000:.1f} s" if save.run_duration_ms else ""
        print(
            f"| {save.engine} | {inner} | {save.subjects:,} | {save.seconds:.1f} "
            f"| {save.peak_rss_mib:,.0f} |"
        )
    if rates:
        reference = next((r for r in rates if r.engine == "reference"), None)
        print("\n| engine | rate only: subjects | s | subjects/s | peak RSS MiB | × reference |")
        print("|---|---:|---:|---:|---:|---:|")
        for run in rates:
            ratio = f"{run.per_second / reference.per_second:.0f}×" if reference else "–"
            note = " (sample)" if run.sample else ""
            print(
                f"| {run.engine}{note} | {run.subjects:,} | {run.seconds:.1f} "
                f"| {run.per_second:,.0f} | {run.peak_rss_mib:,.0f} | {ratio} |"
            )


def compare_designations(store: Path, engines: list[str], args: argparse.Namespace) -> None:
    """Rate and save the policy with and without its designations, alternately, then rate only."""
    saves: list[SaveRun] = []
    for name in [e for e in engines if e != "reference"]:
        for _ in range(args.repeat):
            for designations in (False, True):
                saves.append(save_in_process(store, name, args.policy, args.as_of, designations))
                print(json.dumps(asdict(saves[-1])), file=sys.stderr)
    rates: list[RateRun] = []
    if not args.no_rate_only:
        for name in engines:
            limit = args.reference_sample if name == "reference" else 0
            for _ in range(1 if name == "reference" else args.repeat):
                for designations in (False, True):
                    rates.append(
                        rate_only(
                            store, name, args.policy, args.as_of, limit, designations=designations
                        )
                    )
                    print(json.dumps(asdict(rates[-1])), file=sys.stderr)
    print(f"\npolicy {args.policy}, designations off / on (`--designations`)\n")
    print("| run | engine | subjects | run duration s (rate + write + commit) |")
    print("|---|---|---:|---:|")
    for save in saves:
        duration = (save.run_duration_ms or 0) / 1000
        print(f"| save | {save.engine} | {save.subjects:,} | {duration:.2f} |")
    for run in rates:
        print(f"| rate only | {run.engine} | {run.subjects:,} | {run.seconds:.2f} |")


def _snapshot_commitments(target: Path, utility: str, every: int) -> None:
    """The commitments table of a snapshot built from CSV (the demo has none): what
    :func:`add_commitments` gives a store, in the snapshot's copied columns."""
    import duckdb

    connection = duckdb.connect(str(target))
    try:
        connection.execute(
            """CREATE OR REPLACE TABLE commitments AS
               SELECT s.id, 'BENCH-' || s.id AS code, s.id AS subject_id, ? AS utility,
                      'approval_substitute' AS commitment_type,
                      DATE '2026-11-22' - CAST(s.id % 365 AS INTEGER) AS made_on,
                      CASE WHEN s.id % 4 = 0 THEN CAST(DATE '2026-11-22'
                          - CAST(s.id % 365 AS INTEGER) + INTERVAL 1 YEAR AS DATE) END
                          AS valid_until,
                      CASE s.id % 8 WHEN 0 THEN 'made' WHEN 4 THEN 'fulfilled'
                          WHEN 5 THEN 'breached' WHEN 6 THEN 'expired' WHEN 7 THEN 'withdrawn'
                          ELSE 'in_force' END AS status,
                      DATE '2026-11-22' - CAST(s.id % 365 AS INTEGER) + 30 AS status_on
               FROM subjects s
               WHERE s.id % ? = 0 AND EXISTS (
                   SELECT 1 FROM accounts a WHERE a.subject_id = s.id AND a.utility = ?)""",
            [utility, every, utility],
        )
    finally:
        connection.close()


def rate_csv_snapshot(root: Path, data: Path, args: argparse.Namespace) -> None:
    spec = DemoSpec(subjects=args.subjects, seed=20261122, as_of=args.as_of, years=args.years)
    if not (data / "subjects.csv").exists():
        generate(spec, data)
    target = root / "snapshot-from-csv.duckdb"
    if not target.exists():
        counts = csv_snapshot.build(data, target)
        print(f"snapshot built from CSV: {counts}", file=sys.stderr)
    if args.designations:
        utility = load_policy(args.policy).policy.utility.value
        _snapshot_commitments(target, utility, args.commitments)
        print(f"\npolicy {args.policy}, designations off / on (`--designations`)\n")
        print("| engine | subjects | s | subjects/s | peak RSS MiB |")
        print("|---|---:|---:|---:|---:|")
        for _ in range(args.repeat):
            for designations in (False, True):
                run = rate_only(
                    target, "snapshot", args.policy, args.as_of, 0, args.memory_limit, designations
                )
                print(json.dumps(asdict(run)), file=sys.stderr)
                print(
                    f"| {run.engine} | {run.subjects:,} | {run.seconds:.2f} "
                    f"| {run.per_second:,.0f} | {run.peak_rss_mib:,.0f} |"
                )
        return
    runs = [rate_only(target, "snapshot", args.policy, args.as_of, 0, args.memory_limit)]
    if args.spark:
        runs.append(
            _in_child(
                _rate_spark_child,
                str(target),
                args.policy,
                args.as_of.isoformat(),
                args.spark,
                args.part_subjects,
            )
        )
    limit = f" memory_limit {args.memory_limit}" if args.memory_limit else ""
    print("| engine | subjects | s | subjects/s | peak RSS MiB | × DuckDB time |")
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        print(json.dumps(asdict(run)), file=sys.stderr)
        print(
            f"| {run.engine}{limit if run is runs[0] else ''} | {run.subjects:,} "
            f"| {run.seconds:.1f} | {run.per_second:,.0f} | {run.peak_rss_mib:,.0f} "
            f"| {run.seconds / runs[0].seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
