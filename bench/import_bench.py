"""Import benchmark: demo data set → a fresh store, rows/s and peak memory per file.

Usage (from the repository root)::

    .venv/bin/python bench/import_bench.py --subjects 20000 --years 4
    .venv/bin/python bench/import_bench.py --subjects 1000000 --years 1 \
        --data bench/out/rating-1000000-1y/data --only bills
    .venv/bin/python bench/import_bench.py --subjects 100000 --years 1 --data /tmp/ib100k \
        --store postgresql+psycopg://postgres@127.0.0.1:5432/ib_bench

Generates the demo data set (``utilcredit.demo.generate``; reused if ``--data`` already holds
it), migrates the store (a new SQLite file by default; ``--store`` names another, e.g. a
freshly created PostgreSQL database), then imports every file with
:func:`utilcredit.importing.runner.import_paths` in the order ``import_paths`` itself uses
(parents first), and the same files again (idempotent: nothing inserted or updated).

Each file of each pass is imported in a fresh interpreter (spawn), so its peak RSS
(``getrusage``: the importing process, and its forked CSV worker as its only child) is that
file's own, not the generator's or an earlier file's. ``--only bills,payments`` times only
those kinds; the files before them are imported first, untimed, in a process of their own.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from utilcredit import schema
from utilcredit.config import IMPORT_BATCH_ROWS
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
from utilcredit.importing.readers.source import kind_of
from utilcredit.importing.runner import collect, import_paths


@dataclass(frozen=True, slots=True)
class FileTiming:
    name: str
    rows: int
    seconds: float
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    cpu_main: float  # CPU seconds (user + system) of the importing process
    cpu_worker: float  # CPU seconds of its CSV worker (children), 0 when converted in-process
    rss_main_mib: float  # peak RSS of the importing process (a fresh one per file)
    rss_worker_mib: float  # peak RSS of its CSV worker, 0 when converted in-process

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class Pass:
    label: str
    files: list[FileTiming]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def seconds(self) -> float:
        return sum(f.seconds for f in self.files)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def _time_file(store: str, path: Path, batch_rows: int) -> FileTiming:
    """In a fresh process: import one file, timed, with this process's peak memory."""
    engine = make_engine(store)
    try:
        main_before, worker_before = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        report = import_paths(engine, [path], actor="bench", batch_rows=batch_rows)
        seconds = time.perf_counter() - started
        cpu_main = _cpu(resource.RUSAGE_SELF) - main_before  # not the interpreter's start
        cpu_worker = _cpu(resource.RUSAGE_CHILDREN) - worker_before
    finally:
        engine.dispose()
    (file_report,) = report.files
    result = file_report.result
    if result is None:
        raise RuntimeError(f"{path.name}: {file_report.error}")
    return FileTiming(
        path.name,
        result.rows_read,
        seconds,
        result.inserted,
        result.updated,
        result.unchanged,
        result.rejected_rows,
        cpu_main,
        cpu_worker,
        _peak_mib(resource.RUSAGE_SELF),
        _peak_mib(resource.RUSAGE_CHILDREN),
    )


def _prepare(store: str, paths: list[Path], batch_rows: int) -> None:
    """In a process of its own: migrate the store and import the untimed files."""
    engine = make_engine(store)
    try:
        schema.upgrade(engine)
        if paths:
            report = import_paths(engine, paths, actor="bench", batch_rows=batch_rows)
            failed = [f"{f.name}: {f.error}" for f in report.files if f.result is None]
            if failed:
                raise RuntimeError("; ".join(failed))
    finally:
        engine.dispose()


def _in_fresh_process(target: Callable[..., Any], *args: Any) -> Any:
    """``target(*args)`` in a fresh interpreter (spawn); its result, or its error raised here.
    A plain process, not a pool's: a pool's workers are daemons, which may not fork the CSV
    worker."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_reply, args=(send, target, *args))
    process.start()
    send.close()
    try:
        ok, value = receive.recv()
    finally:
        process.join()
    if not ok:
        raise RuntimeError(value)
    return value


def _reply(send: Connection, target: Callable[..., Any], *args: Any) -> None:
    try:
        send.send((True, target(*args)))
    except BaseException as error:
        send.send((False, f"{type(error).__name__}: {error}"))
        raise
    finally:
        send.close()


def _generate(spec: DemoSpec, data: Path) -> dict[str, int]:
    marker = data / ".bench-spec"
    wanted = repr(spec)
    if marker.is_file() and marker.read_text() == wanted:
        return {}
    if marker.is_file() or not any(data.glob("*.csv")):
        counts: dict[str, int] = generate(spec, data)
        marker.write_text(wanted)
        return counts
    return {}  # a data set generated elsewhere (python -m utilcredit.demo): taken as it is


def _table(passes: list[Pass]) -> str:
    lines = [
        "| pass | file | rows | seconds | rows/s | CPU s main | CPU s worker"
        " | peak RSS main MiB | peak RSS worker MiB | inserted | updated | unchanged | rejected |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for one in passes:
        for f in one.files:
            lines.append(
                f"| {one.label} | {f.name} | {f.rows:,} | {f.seconds:.2f} | {f.rate:,.0f}"
                f" | {f.cpu_main:.2f} | {f.cpu_worker:.2f} | {f.rss_main_mib:,.0f}"
                f" | {f.rss_worker_mib:,.0f} | {f.inserted:,} | {f.updated:,} | {f.unchanged:,}"
                f" | {f.rejected:,} |"
            )
        lines.append(
            f"| **{one.label}** | **total** | **{one.rows:,}** | **{one.seconds:.2f}**"
            f" | **{one.rate:,.0f}** | {sum(f.cpu_main for f in one.files):.2f}"
            f" | {sum(f.cpu_worker for f in one.files):.2f}"
            f" | {max(f.rss_main_mib for f in one.files):,.0f}"
            f" | {max(f.rss_worker_mib for f in one.files):,.0f} | | | | |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--data", type=Path, default=None, help="folder for the demo files (kept; reused)"
    )
    parser.add_argument("--batch-rows", type=int, default=IMPORT_BATCH_ROWS)
    parser.add_argument(
        "--only", default="", help="comma list of kinds to time (the others: imported untimed)"
    )
    parser.add_argument(
        "--store",
        default=None,
        help="store URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/ib_bench (a fresh,"
        " empty database); default: a new SQLite file",
    )
    args = parser.parse_args(argv)

    spec = DemoSpec(subjects=args.subjects, years=args.years, seed=args.seed)
    only = {kind.strip() for kind in args.only.split(",") if kind.strip()}
    with tempfile.TemporaryDirectory(prefix="import-bench-") as scratch:
        data = args.data or Path(scratch) / "data"
        data.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        counts = _generate(spec, data)
        if counts:
            print(
                f"generated {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
        store = args.store or f"sqlite:///{Path(scratch) / 'store' / 'utilcredit.db'}"
        files = collect([data])
        timed = [path for path in files if not only or kind_of(path) in only]
        untimed = [path for path in files if path not in timed]
        if only:  # the parents of the timed files, and nothing after them
            last = files.index(timed[-1])
            untimed = [path for path in untimed if files.index(path) < last]
        _in_fresh_process(_prepare, store, untimed, args.batch_rows)
        passes = []
        for label in ("fresh store", "re-import (unchanged)"):
            timings = []
            for path in timed:
                timing: FileTiming = _in_fresh_process(_time_file, store, path, args.batch_rows)
                print(
                    f"{label}: {timing.name} {timing.rows:,} rows {timing.seconds:.2f} s"
                    f" {timing.rate:,.0f} rows/s, peak RSS main {timing.rss_main_mib:,.0f} MiB"
                    f" worker {timing.rss_worker_mib:,.0f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
                timings.append(timing)
            passes.append(Pass(label, timings))
    print(f"{spec}, {args.batch_rows} rows per batch, store {store.split('://')[0]}\n")
    print(_table(passes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
