"""Use cases of the exchange: export a catalog kind as a submission batch, check a file as
the platform would, list and read batches, and move a batch through its workflow. Nothing
here commits: the caller owns the transaction. An export's files are written into a folder
of their own that takes its final name only when every row is in, so a failed export leaves
no batch row and no files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection

from utilcredit.audit import repository as audit
from utilcredit.audit.repository import decode_utilities, encode_utilities
from utilcredit.customers.model import Utility
from utilcredit.errors import ConflictError, FieldInvalidError, NotFoundError
from utilcredit.exchange import corrections, repository, tracking
from utilcredit.exchange.catalog import Kind, catalog
from utilcredit.exchange.files import open_writer, read_rows, suffix
from utilcredit.exchange.model import (
    BATCH_MACHINE,
    CORRECTIONS_MODE,
    Batch,
    BatchStatus,
    Encoding,
    ExportFormat,
    Problem,
    check_row,
    check_rows,
)
from utilcredit.exchange.sources import SOURCES, Scope, Units
from utilcredit.localtime import SHANGHAI

T = TypeVar("T")

#: Rows checked together (column by column: each distinct value once, model.check_rows).
CHECK_BLOCK = 5_000
#: Problems kept in memory for the caller to show; the report file has them all.
SHOWN_PROBLEMS = 200


@dataclass(frozen=True, slots=True)
class ExportRequest:
    catalog: str
    kind: str
    as_of: dt.date
    utilities: Collection[Utility]
    fmt: ExportFormat = ExportFormat.CSV
    encoding: Encoding = Encoding.UTF8_BOM
    since_last: bool = False
    actor: str = "cli"
    #: Only the corrected returned rows of the kind, as they are now (their own mode).
    corrections: bool = False


@dataclass
class ExportOutcome:
    batch: Batch
    problems: list[Problem] = field(default_factory=list)  # the first SHOWN_PROBLEMS


def export(
    connection: Connection,
    request: ExportRequest,
    *,
    units: Units,
    root: Path,
    allow_list: Collection[str] = (),
    now: dt.datetime | None = None,
) -> ExportOutcome:
    """Stream ``request.kind`` out of the store into a new batch: valid rows into the data
    file (and their sources into ``keys.txt``), invalid ones into the validation report."""
    kind = catalog(request.catalog).kind(request.kind)
    utilities = encode_utilities(request.utilities or list(Utility))
    since = (
        repository.last_taken_until(connection, request.catalog, kind.key, utilities)
        if request.since_last and not request.corrections
        else None
    )
    asked_at = now or dt.datetime.now(dt.UTC)
    corrections.pick_up_reimports(
        connection,
        request.catalog,
        kind.key,
        actor=request.actor,
        utilities=decode_utilities(utilities),
        now=asked_at,
    )
    # source key → the corrected returned rows of the kind waiting to go out again
    corrected = tracking.corrected_of_kind(connection, request.catalog, kind.key)
    scope = Scope(
        as_of=request.as_of,
        utilities=decode_utilities(utilities),
        until=_window_end(asked_at),
        since=since,
    )
    if now is None:
        _wait_until(scope.until)
    batch_id = repository.insert_batch(
        connection,
        catalog=request.catalog,
        kind=kind.key,
        utilities=utilities,
        mode=CORRECTIONS_MODE
        if request.corrections
        else ("incremental" if since is not None else "full"),
        status=BatchStatus.CREATED,
        as_of=request.as_of,
        since=since,
        until=scope.until,
        format=request.fmt,
        encoding=request.encoding if request.fmt is ExportFormat.CSV else None,
        folder="",
        created_by=request.actor,
    )
    folder = root / f"batch-{batch_id:06d}"
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # an earlier attempt that died mid-way
    partial.mkdir(parents=True)
    try:
        # Dates may not lie after the day the platform receives the file (not the as-of day:
        # a record's state may have changed since).
        checks = _Checks(kind, asked_at.astimezone(SHANGHAI).date(), allow_list)
        written = _write_batch(
            connection, checks, request, scope, units, partial, batch_id, corrected
        )
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    repository.update_batch(
        connection,
        batch_id,
        folder=str(folder),
        rows=written.rows,
        invalid_rows=written.invalid,
        files=[_describe(folder / name, role) for role, name in written.files],
    )
    resubmitted = corrections.mark_resubmitted(connection, corrected, written.resubmitted, batch_id)
    audit.record(
        connection,
        actor=request.actor,
        action="exchange.export",
        entity="exchange_batch",
        entity_key=str(batch_id),
        detail={
            "kind": kind.key,
            "rows": written.rows,
            "invalid_rows": written.invalid,
            "resubmitted": resubmitted,
        },
        utilities=decode_utilities(utilities),
    )
    return ExportOutcome(batch=_found(connection, batch_id), problems=written.problems)


def _window_end(asked_at: dt.datetime) -> dt.datetime:
    """The end of an export's window of changes: the end of the second it was asked in.
    Stores keep whole seconds (SQLite's stamps), so windows end on whole seconds; the next
    incremental export starts exactly there, without a gap or an overlap."""
    return asked_at.astimezone(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)


def _wait_until(moment: dt.datetime) -> None:
    """Let the window's last second pass (under a second) before reading, so that whatever
    was written before the export was asked is inside the window and nothing written during
    the export is: that waits for the next one."""
    time.sleep(max((moment - dt.datetime.now(dt.UTC)).total_seconds(), 0))


@dataclass
class _Written:
    rows: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)  # source keys of corrected rows


@dataclass(frozen=True, slots=True)
class _Checks:
    kind: Kind
    today: dt.date
    allow_list: Collection[str]

    def of(self, block: list[list[str]]) -> dict[int, list[Problem]]:
        """The problems of a block of rows, by index (rows numbered later, as written)."""
        return check_rows(self.kind, block, 0, self.today, allow_list=self.allow_list)


def _write_batch(
    connection: Connection,
    checks: _Checks,
    request: ExportRequest,
    scope: Scope,
    units: Units,
    folder: Path,
    batch_id: int,
    corrected: Collection[str] = frozenset(),
) -> _Written:
    kind = checks.kind
    stem = f"{kind.key}-{request.as_of:%Y%m%d}-{batch_id:06d}"
    data_name, report_name = stem + suffix(request.fmt), f"{stem}-invalid.csv"
    written = _Written(files=[("data", data_name), ("keys", "keys.txt")])
    writer = open_writer(
        folder / data_name, request.fmt, kind.headers, title=kind.title, encoding=request.encoding
    )
    with (
        (folder / "keys.txt").open("w", encoding="utf-8") as keys,
        (folder / report_name).open("w", encoding="utf-8-sig", newline="") as report_file,
    ):
        report = csv.writer(report_file)
        report.writerow(["来源记录", "数据项", "值", "原因"])
        rows = _source_rows(connection, kind.key, scope, units, corrected, request.corrections)
        for block in _blocks(rows, CHECK_BLOCK):
            problems = checks.of([values for _, values in block])
            taken = block if not problems else []
            for index, (key, values) in enumerate(block if problems else ()):
                if index not in problems:
                    taken.append((key, values))
                    continue
                # numbered as the row it would have been in the file
                found = [replace(p, row=written.rows + len(taken) + 1) for p in problems[index]]
                written.invalid += 1
                report.writerows([key, p.item, p.value, p.reason] for p in found)
                room = SHOWN_PROBLEMS - len(written.problems)
                written.problems.extend(found[: max(room, 0)])
            writer.write_many(values for _, values in taken)
            keys.writelines(key + "\n" for key, _ in taken)
            written.rows += len(taken)
            written.resubmitted.extend(key for key, _ in taken if key in corrected)
        writer.close()
    if written.invalid:
        written.files.append(("invalid", report_name))
    else:
        (folder / report_name).unlink()
    return written


def _blocks(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    while block := list(islice(rows, size)):
        yield block


def _source_rows(
    connection: Connection,
    kind: str,
    scope: Scope,
    units: Units,
    corrected: Collection[str],
    only_corrections: bool,
) -> Iterator[tuple[str, list[str]]]:
    """The kind's rows in scope; an incremental export adds the corrected returned rows
    whatever their window (a row corrected by an edit did not change), each row once; a
    corrections batch holds only those. The corrected keys are few: a set of them is kept."""
    source = SOURCES[kind]
    if not only_corrections:
        for key, values in source(connection, scope, units):
            if scope.since is None or key not in corrected:
                yield key, values
    if corrected and (only_corrections or scope.since is not None):
        yield from source(connection, replace(scope, since=None, keys=frozenset(corrected)), units)


def _describe(path: Path, role: str) -> dict[str, object]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {
        "role": role,
        "name": path.name,
        "bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }


@dataclass
class FileCheck:
    """``export validate FILE``: what the platform would say of a file."""

    kind: Kind
    rows: int = 0
    invalid_rows: int = 0
    problems: list[Problem] = field(default_factory=list)


def validate_file(
    path: Path,
    *,
    catalog_key: str,
    kind_key: str | None,
    today: dt.date,
    allow_list: Collection[str] = (),
) -> FileCheck:
    """Check every row of a catalog file; the kind is found from the header row when not
    given. The header must be the kind's data items, in the catalog's order."""
    rows = read_rows(path)
    header = next(rows, None)
    if header is None:
        raise FieldInvalidError("file", f"{path.name} 是空文件 / {path.name} is empty")
    kind = _kind_of(catalog_key, kind_key, header)
    checked = FileCheck(kind)
    for number, values in enumerate(_data_rows(rows), start=1):
        problems = check_row(kind, values, number, today, allow_list=allow_list)
        checked.rows += 1
        if problems:
            checked.invalid_rows += 1
            checked.problems.extend(problems)
    return checked


def _data_rows(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    return (values for values in rows if any(value.strip() for value in values))


def _kind_of(catalog_key: str, kind_key: str | None, header: list[str]) -> Kind:
    found = catalog(catalog_key)
    header = [name.strip() for name in header]
    if kind_key is not None:
        kind = found.kind(kind_key)
        if tuple(header) != kind.headers:
            raise FieldInvalidError(
                "header",
                f"表头与「{kind.title}」的数据项不一致：应为 {'、'.join(kind.headers)}"
                f" / the header is not {kind.key}'s data items in order",
            )
        return kind
    for kind in found.kinds:
        if tuple(header) == kind.headers:
            return kind
    raise FieldInvalidError(
        "header",
        f"表头不是目录 {catalog_key} 中任何信息类的数据项 / the header matches no kind of"
        f" {catalog_key}; name one with --kind",
    )


def batches(
    connection: Connection,
    *,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
    status: str | None = None,
    readable: Collection[Utility] | None = None,
) -> list[Batch]:
    """Newest first. ``readable``: only the batches whose every utility the reader reads (a
    batch's files hold the rows of all its utilities); ``None``: every batch (the CLI)."""
    hidden = () if readable is None else [u.value for u in Utility if u not in readable]
    return repository.batches(
        connection, kind=kind, limit=limit, offset=offset, status=status, hidden=hidden
    )


def batch(connection: Connection, batch_id: int) -> Batch:
    return _found(connection, batch_id)


def _found(connection: Connection, batch_id: int) -> Batch:
    found = repository.batch(connection, batch_id)
    if found is None:
        raise NotFoundError(f"没有报送批次 {batch_id} / no batch {batch_id}")
    return found


def move(
    connection: Connection,
    batch_id: int,
    action: str,
    *,
    actor: str,
    reason: str | None = None,
    **values: object,
) -> Batch:
    """The one way a batch changes state: the workflow allows it, the status is set with a
    compare-and-set (a second process doing the same loses with a conflict), and it is audited."""
    current = _found(connection, batch_id)
    source = BATCH_MACHINE.state(current.status)
    target = BATCH_MACHINE.target(source, action)
    if not repository.set_status(connection, batch_id, source, target, **values):
        raise ConflictError(
            f"报送批次 {batch_id} 已被他人处理 / batch {batch_id} changed meanwhile"
        )
    audit.record(
        connection,
        actor=actor,
        action=f"exchange.{action}",
        entity="exchange_batch",
        entity_key=str(batch_id),
        reason=reason,
        detail={"from": source.value, "to": target.value},
        utilities=decode_utilities(current.utilities),
    )
    return _found(connection, batch_id)
