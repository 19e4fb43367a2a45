"""Deterministic synthetic data of a realistic utility, as the canonical import files (SPEC 5.2).

``generate(DemoSpec(...), out_dir)`` writes ``subjects.csv``, ``accounts.csv``, ``bills.csv``,
``payments.csv``, ``incidents.csv``, ``reminders.csv`` and ``credit_reports.csv`` (UTF-8,
header row). The same spec always gives byte-identical files, whatever the number of worker
processes: subjects are simulated in fixed blocks of :data:`BLOCK_SUBJECTS`, each with its own
random stream seeded from (seed, block), and blocks are written in order.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from utilcredit.demo.context import Context, build_context
from utilcredit.demo.simulate import Row, simulate_block
from utilcredit.demo.spec import DemoSpec

KINDS: tuple[str, ...] = (
    "subjects",
    "accounts",
    "bills",
    "payments",
    "incidents",
    "reminders",
    "credit_reports",
)
HEADERS: dict[str, tuple[str, ...]] = {
    "subjects": (
        "code",
        "kind",
        "name",
        "id_type",
        "legal_rep",
        "phone",
        "address",
        "area",
        "founded_on",
    ),
    "accounts": (
        "account_no",
        "subject_code",
        "utility",
        "opened_on",
        "payment_mode",
        "address",
        "area",
    ),
    "bills": (
        "bill_no",
        "account_no",
        "period_start",
        "period_end",
        "usage",
        "unit",
        "amount",
        "due_on",
    ),
    "payments": ("payment_no", "bill_no", "paid_on", "amount"),
    "incidents": (
        "incident_no",
        "account_no",
        "kind",
        "occurred_on",
        "amount",
        "asset_class",
        "severity",
        "note",
    ),
    "reminders": ("reminder_no", "account_no", "sent_on", "channel"),
    "credit_reports": (
        "subject_code",
        "source",
        "issued_on",
        "has_dishonesty",
        "rating",
        "on_serious_list",
    ),
}

# Part of the output definition: changing it changes the data a given seed produces.
BLOCK_SUBJECTS = 1000
# Below this many subjects, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 20_000


# One block's output: the CSV bytes and the row count of each kind, in KINDS order.
_BlockOutput = tuple[tuple[bytes, ...], tuple[int, ...]]


@lru_cache(maxsize=4)
def _context(spec: DemoSpec) -> Context:
    return build_context(spec)


def _render(rows: list[Row] | list[str]) -> bytes:
    if not rows:
        return b""
    if isinstance(rows[0], str):  # ready lines, see BlockRows
        return ("\n".join(rows) + "\n").encode("utf-8")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def render_block(spec: DemoSpec, block: int, start: int, stop: int) -> _BlockOutput:
    """Simulate one block and format it as CSV; runs in worker processes (hence top level)."""
    rows = simulate_block(_context(spec), block, start, stop).as_tuple()
    return tuple(_render(r) for r in rows), tuple(len(r) for r in rows)


def _blocks(spec: DemoSpec) -> list[tuple[int, int, int]]:
    return [
        (b, start, min(start + BLOCK_SUBJECTS, spec.subjects))
        for b, start in enumerate(range(0, spec.subjects, BLOCK_SUBJECTS))
    ]


def _default_workers(spec: DemoSpec) -> int:
    if spec.subjects < _PARALLEL_THRESHOLD:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus)


def _run_blocks(spec: DemoSpec, workers: int) -> Generator[tuple[int, _BlockOutput], None, None]:
    """Yield (subjects in block, output) in block order, computing ahead in workers."""
    blocks = _blocks(spec)
    if workers <= 1:
        for block, start, stop in blocks:
            yield stop - start, render_block(spec, block, start, stop)
        return
    # fork where there is one: "spawn" would re-import the caller's __main__, which breaks
    # any script without an ``if __name__ == "__main__"`` guard; the workers only compute and
    # touch no inherited locks or files.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: deque[tuple[int, Future[_BlockOutput]]] = deque()
        todo = iter(blocks)
        # Bounded look-ahead keeps memory flat when the disk is slower than the workers.
        for block, start, stop in todo:
            pending.append((stop - start, pool.submit(render_block, spec, block, start, stop)))
            if len(pending) >= 3 * workers:
                break
        try:
            while pending:
                size, future = pending.popleft()
                result = future.result()
                for block, start, stop in todo:
                    pending.append(
                        (stop - start, pool.submit(render_block, spec, block, start, stop))
                    )
                    break
                yield size, result
        finally:
            # On failure or early close, do not wait for blocks nobody will write.
            for _, future in pending:
                future.cancel()


def generate(
    spec: DemoSpec,
    out_dir: Path,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
) -> dict[str, int]:
    """Write the seven canonical import files into ``out_dir``; return rows written per kind.

    Files are written under temporary names and renamed only when all are complete, so a
    failure leaves no partial set. ``progress`` is called with the number of subjects done
    after each block. ``workers`` (default: one per CPU for large specs) changes speed only,
    never the output.
    """
    spec.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    temps = {kind: out_dir / f".{kind}.csv.partial" for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)
    files: list[BinaryIO] = []
    try:
        for kind in KINDS:
            out = temps[kind].open("wb")
            files.append(out)
            out.write((",".join(HEADERS[kind]) + "\n").encode("utf-8"))
        done = 0
        n_workers = _default_workers(spec) if workers is None else workers
        outputs = _run_blocks(spec, n_workers)
        try:
            for size, (chunks, sizes) in outputs:
                for kind, f, data, n in zip(KINDS, files, chunks, sizes, strict=True):
                    f.write(data)
                    counts[kind] += n
                done += size
                if progress is not None:
                    progress(done)
        finally:
            outputs.close()  # shuts the worker pool down now, even on failure
        for f in files:
            f.close()
    except BaseException:
        for f in files:
            f.close()
        for path in temps.values():
            path.unlink(missing_ok=True)
        raise
    for kind in KINDS:
        temps[kind].replace(out_dir / f"{kind}.csv")
    return counts
