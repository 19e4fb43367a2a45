"""Import benchmark: demo data set → fresh SQLite store, rows/s per file and in total.

Usage (from the repository root)::

    .venv/bin/python bench/import_bench.py --subjects 20000 --years 4

Generates the demo data set (``utilcredit.demo.generate``; reused if ``--data`` already holds
it), then, in a fresh process so peak memory is the import's own, imports every file into a
new SQLite store with :func:`utilcredit.importing.runner.import_paths` (one call per file, in
the order ``import_paths`` itself uses, so each file is timed), and imports the same files
again (idempotent: nothing inserted or updated). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from utilcredit import schema
from utilcredit.config import IMPORT_BATCH_ROWS
from utilcredit.db import make_engine
from utilcredit.demo import DemoSpec, generate
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


@dataclass(frozen=True, slots=True)
class Outcome:
    passes: list[Pass]
    peak_rss_mib: float  # the importing process
    peak_child_rss_mib: float  # its largest child (the CSV worker), 0 if none


def _time_pass(label: str, store: str, data: Path, batch_rows: int) -> Pass:
    engine = make_engine(store)
    files: list[FileTiming] = []
    try:
        for path in collect([data]):
            main_before, worker_before = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            report = import_paths(engine, [path], actor="bench", batch_rows=batch_rows)
            seconds = time.perf_counter() - started
            cpu_main = _cpu(resource.RUSAGE_SELF) - main_before
            cpu_worker = _cpu(resource.RUSAGE_CHILDREN) - worker_before
            (file_report,) = report.files
            result = file_report.result
            if result is None:
                raise RuntimeError(f"{path.name}: {file_report.error}")
            files.append(
                FileTiming(
                    path.name,
                    result.rows_read,
                    seconds,
                    result.inserted,
                    result.updated,
                    result.unchanged,
                    result.rejected_rows,
                    cpu_main,
                    cpu_worker,
                )
            )
    finally:
        engine.dispose()
    return Pass(label, files)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _run_imports(data: Path, store: str, batch_rows: int, reply: Connection) -> None:
    """In a fresh process: migrate, import twice, report timings and peak memory."""
    engine = make_engine(store)
    schema.upgrade(engine)
    engine.dispose()
    first = _time_pass("fresh store", store, data, batch_rows)
    again = _time_pass("re-import (unchanged)", store, data, batch_rows)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    reply.send(Outcome([first, again], own, children))
    reply.close()


def _generate(spec: DemoSpec, data: Path) -> dict[str, int]:
    marker = data / ".bench-spec"
    wanted = repr(spec)
    if marker.is_file() and marker.read_text() == wanted:
        return {}
    counts: dict[str, int] = generate(spec, data)
    marker.write_text(wanted)
    return counts


def _table(outcome: Outcome) -> str:
    lines = [
        "| pass | file | rows | seconds | rows/s | CPU s main | CPU s worker"
        " | inserted | updated | unchanged | rejected |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for one in outcome.passes:
        for f in one.files:
            lines.append(
                f"| {one.label} | {f.name} | {f.rows:,} | {f.seconds:.2f} | {f.rate:,.0f}"
                f" | {f.cpu_main:.2f} | {f.cpu_worker:.2f} | {f.inserted:,} | {f.updated:,} | {f.unchanged:,} | {f.rejected:,} |"
            )
        lines.append(
            f"| **{one.label}** | **total** | **{one.rows:,}** | **{one.seconds:.2f}**"
            f" | **{one.rate:,.0f}** | {sum(f.cpu_main for f in one.files):.2f}"
            f" | {sum(f.cpu_worker for f in one.files):.2f} | | | | |"
        )
    lines.append("")
    lines.append(
        f"Peak RSS: importing process {outcome.peak_rss_mib:,.0f} MiB;"
        f" largest child (CSV worker) {outcome.peak_child_rss_mib:,.0f} MiB."
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
    args = parser.parse_args(argv)

    spec = DemoSpec(subjects=args.subjects, years=args.years, seed=args.seed)
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
        store = f"sqlite:///{Path(scratch) / 'store' / 'utilcredit.db'}"
        # A fresh interpreter (spawn), so peak RSS is the import's alone, not the generator's.
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_run_imports, args=(data, store, args.batch_rows, send))
        process.start()
        send.close()
        outcome: Outcome = receive.recv()
        process.join()
    print(f"{spec}, {args.batch_rows} rows per batch\n")
    print(_table(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
