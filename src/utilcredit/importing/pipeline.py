"""CSV batches, converted in this process or in a forked worker that runs ahead of the writer.

A batch is what the generated loop (:mod:`fused`) makes of up to ``batch_rows`` rows: driver
parameter rows ready to write, rows still waiting for their parent's id, and the rejects with
their row numbers. :func:`local_batches` makes them here; :func:`worker_batches` forks a worker
that reads, converts and checks keys while this process looks up parents and writes, so the
two halves of the work use two cores. Both yield the same batches in the same order; the
worker touches no database connection (it only reads the file), and any error it meets is
raised here, so the caller's transaction rolls back as if the work had been local.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from utilcredit.importing.formats import KindSpec
from utilcredit.importing.fused import Convert
from utilcredit.importing.keys import FirstRows, Parents
from utilcredit.importing.readers.text import CsvRows, csv_error_reason
from utilcredit.importing.validation import Problem
from utilcredit.importing.workers import send_error

Reference = Callable[[Sequence[Any]], tuple[list[Any] | None, list[Problem]]]
RejectMaker = Callable[[int, str | None, str | None, str], Any]
DuplicateMaker = Callable[[tuple[Any, ...], int, int], Any]

# Files smaller than this are converted in-process: forking costs more than it saves.
WORKER_MIN_BYTES = 4 << 20


@dataclass(slots=True)
class Batch:
    accepted: list[tuple[Any, ...]] = field(default_factory=list)
    pending: list[tuple[int, list[Any]]] = field(default_factory=list)  # parent not yet known
    rejects: list[Any] = field(default_factory=list)
    read: int = 0  # non-blank rows consumed
    consumed_bytes: int = 0  # file bytes read for it (worker only; else progress is direct)
    eof: bool = False
    numbers: list[int] = field(default_factory=list)  # row of each accepted row, if job.key_of


@dataclass(frozen=True, slots=True)
class Job:
    """Everything the conversion of one file needs, none of it a database connection."""

    opened: CsvRows
    convert: Convert
    reference: Reference
    parents: Parents
    batch_rows: int
    spec: KindSpec
    reject: RejectMaker
    duplicate: DuplicateMaker
    # The natural key of an accepted row: when given, each batch numbers its accepted rows
    # (a scoped import rejects rows of other utilities after the batch is made).
    key_of: Callable[[Sequence[Any]], Any] | None = None
    expected_rows: int = 0  # about how many rows the file holds: sizes the key table once


def local_batches(job: Job) -> Generator[Batch, None, None]:
    seen = FirstRows(job.expected_rows)
    batch = Batch()

    def slow(row_number: int, cells: Sequence[str]) -> list[Any] | None:
        params, problems = job.reference(cells)
        if params is None:
            batch.rejects.extend(
                job.reject(row_number, p.field, p.value, p.reason) for p in problems
            )
        return params

    def duplicate(row_number: int, key: Any, first: int) -> None:
        batch.rejects.append(
            job.duplicate(key if isinstance(key, tuple) else (key,), first, row_number)
        )

    def broken(row_number: int, message: str) -> None:
        reason = csv_error_reason(message, job.opened.limits.max_field_chars)
        batch.rejects.append(job.reject(row_number, None, None, reason))

    rows = 0
    while True:
        batch = Batch()
        batch.read, batch.eof = job.convert(
            job.opened.reader,
            job.batch_rows,
            seen,
            job.parents,
            batch.accepted,
            batch.pending,
            slow,
            duplicate,
            broken,
        )
        rows += batch.read
        job.opened.limits.check_rows(rows)
        if job.key_of is not None:
            key_of = job.key_of
            batch.numbers = [_first_row(seen, key_of(row)) for row in batch.accepted]
        yield batch
        if batch.eof:
            return


def _first_row(seen: FirstRows, key: Any) -> int:
    row = seen.get(key)
    assert row is not None, "an accepted row's key was seen"
    return row


def can_fork() -> bool:
    """A worker can be forked: POSIX, and not inside a daemonic process (which may not)."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


class ByteCounter:
    """The progress callback of a file read by the worker: bytes are reported per batch."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, advance: int) -> None:
        self.total += advance


def worker_batches(job: Job, counter: ByteCounter) -> Generator[Batch, None, None]:
    """Batches converted by a forked worker; ``job.opened`` was opened with ``counter``.

    The caller must exhaust or close the iterator: closing it stops the worker.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    already = counter.total  # the header's bytes, read here before the fork

    def work() -> None:
        receive.close()
        reported = already
        try:
            for batch in local_batches(job):
                batch.consumed_bytes, reported = counter.total - reported, counter.total
                send.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        except BaseException as error:
            send_error(send, error)
        finally:
            send.close()

    process = context.Process(target=work, name="utilcredit-import-reader", daemon=True)
    process.start()
    send.close()
    job.opened.close()  # the worker reads the file from here on
    finished = False
    try:
        while not finished:
            message = pickle.loads(receive.recv_bytes())
            if isinstance(message, BaseException):
                raise message
            assert isinstance(message, Batch)
            message.consumed_bytes += already  # the header's bytes, read before the fork
            already = 0
            finished = message.eof
            yield message
    finally:
        if finished:
            process.join(timeout=10)
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()
