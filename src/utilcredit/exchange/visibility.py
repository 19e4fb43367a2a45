"""Batches, their returned rows and credit checks as a signed-in user reaches them (the API
and the console). A batch's files hold the rows of every utility it was exported for: a reader
sees the batch only when they read each of them, and another utility's batch answers 404
(audited); acting on it (send, returns, corrections) needs membership of each (403)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Principal
from utilcredit.access.visibility import require_utility_write, visible_subject
from utilcredit.audit import repository as audit
from utilcredit.audit.repository import decode_utilities
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.exchange.checks import checked
from utilcredit.exchange.files import suffix
from utilcredit.exchange.model import (
    Batch,
    BatchFile,
    CreditCheck,
    ExportFormat,
    ReturnedRow,
)
from utilcredit.exchange.service import FileCheck, batch, validate_file
from utilcredit.exchange.submission import returned_row


def export_utilities(principal: Principal, asked: Collection[Utility]) -> tuple[Utility, ...]:
    """The utilities an export by ``principal`` covers: those asked, each one the principal
    belongs to (403, audited, for another); by default all of the principal's own."""
    for utility in asked:
        require_utility_write(principal, utility, entity="exchange_batch", key=None)
    return tuple(sorted(set(asked) or principal.utilities))


def may_read(principal: Principal, found: Batch) -> bool:
    readable = {u.value for u in principal.readable_utilities}
    return set(decode_utilities(found.utilities)) <= readable


def readable_batch(connection: Connection, principal: Principal, batch_id: int) -> Batch:
    found = batch(connection, batch_id)
    if not may_read(principal, found):
        raise NotVisibleError(
            f"没有报送批次 {batch_id} / no batch {batch_id}",
            entity="exchange_batch",
            entity_key=str(batch_id),
        )
    return found


def writable_batch(connection: Connection, principal: Principal, batch_id: int) -> Batch:
    """A batch the principal may act on (send, load returns): read, and a member of each of
    its utilities (403, audited, otherwise)."""
    found = readable_batch(connection, principal, batch_id)
    for utility in decode_utilities(found.utilities):
        require_utility_write(
            principal, Utility(utility), entity="exchange_batch", key=str(batch_id)
        )
    return found


def writable_returned(
    connection: Connection, principal: Principal, returned_row_id: int
) -> tuple[Batch, ReturnedRow]:
    """A returned row the principal may correct, with its batch: one of another utility's
    batch is not found (404, audited; its batch is not named), one of a batch whose
    utilities the principal reads but does not all belong to is 403 (audited)."""
    found = returned_row(connection, returned_row_id)
    owner = batch(connection, found.batch_id)
    if not may_read(principal, owner):
        raise NotVisibleError(
            f"没有退回数据 {returned_row_id} / no returned row {returned_row_id}",
            entity="exchange_returned_row",
            entity_key=str(returned_row_id),
        )
    return writable_batch(connection, principal, owner.id), found


def readable_check(connection: Connection, principal: Principal, check_id: int) -> CreditCheck:
    """A credit check of a utility the principal reads (another's: 404, audited)."""
    found = checked(connection, check_id)
    if not principal.may_read_utility(Utility(found.utility)):
        raise NotVisibleError(
            f"没有信用核查 {check_id} / no credit check {check_id}",
            entity="credit_check",
            entity_key=str(check_id),
        )
    return found


def writable_check(connection: Connection, principal: Principal, check_id: int) -> CreditCheck:
    """A check whose use the principal may record: read, and of their own utility (403)."""
    found = readable_check(connection, principal, check_id)
    require_utility_write(
        principal, Utility(found.utility), entity="credit_check", key=str(check_id)
    )
    return found


def check_utility(
    connection: Connection, principal: Principal, subject_code: str, asked: Utility | None
) -> Utility | None:
    """The utility a credit check of ``subject_code`` by ``principal`` is made for: the one
    asked (a member's only: 403, audited), else the principal's only own utility the subject
    is seen through (``None``: the check's use case decides from the subject's accounts). A
    subject the principal does not see is not found (404, audited)."""
    _, shared = visible_subject(connection, principal, subject_code)
    own = sorted(u for u in shared if principal.may_write_utility(u))
    chosen = asked or (own[0] if len(own) == 1 else None)
    if chosen is not None:
        require_utility_write(principal, chosen, entity="credit_check", key=subject_code)
    return chosen


def batch_file(
    connection: Connection, principal: Principal, batch_id: int, role: str
) -> tuple[Batch, BatchFile, Path]:
    """One of a batch's files to download. The data file holds ID numbers in clear, as the
    platform takes them: each download is audited."""
    found = readable_batch(connection, principal, batch_id)
    entry = found.file(role)
    path = Path(found.folder) / entry.name if entry is not None else None
    if entry is None or path is None or not path.is_file():
        raise NotFoundError(
            f"报送批次 {batch_id} 没有文件 {role} / batch {batch_id} has no {role} file"
        )
    audit.record(
        connection,
        actor=principal.username,
        action="exchange.download",
        entity="exchange_batch",
        entity_key=str(batch_id),
        detail={"role": role, "name": entry.name},
        utilities=decode_utilities(found.utilities),
    )
    return found, entry, path


def report_lines(found: Batch, limit: int) -> tuple[list[list[str]], bool]:
    """The first ``limit`` lines of the batch's validation report (source record, item,
    value, reason), read as a stream, and whether more follow."""
    entry = found.file("invalid")
    if entry is None:
        return [], False
    lines: list[list[str]] = []
    with (Path(found.folder) / entry.name).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        for line in reader:
            if len(lines) == limit:
                return lines, True
            lines.append(line)
    return lines, False


def validate_upload(
    source: BinaryIO,
    filename: str,
    *,
    catalog_key: str,
    kind_key: str | None,
    today: dt.date,
    max_bytes: int,
    allow_list: Collection[str] = (),
) -> FileCheck:
    """A file sent over HTTP, checked as :func:`validate_file`: copied block by block into a
    temporary folder under its own base name (its type is the name's suffix), refused past
    ``max_bytes``, and removed afterwards."""
    name = re.sub(r"[^\w.\-]", "_", Path(filename or "").name)[-100:]
    if Path(name).suffix.lower() not in {suffix(f) for f in ExportFormat}:
        raise FieldInvalidError(
            "file",
            f"不支持的文件 {name or '(无名)'}，应为 .csv、.xlsx 或 .json"
            " / the file must be .csv, .xlsx or .json",
        )
    with tempfile.TemporaryDirectory(prefix="utilcredit-validate-") as folder:
        path = Path(folder) / name
        with path.open("wb") as copy:
            for block in iter(lambda: source.read(1 << 20), b""):
                if copy.tell() + len(block) > max_bytes:
                    raise FieldInvalidError(
                        "file", f"文件超过 {max_bytes} 字节 / the file is over {max_bytes} bytes"
                    )
                copy.write(block)
        return validate_file(
            path, catalog_key=catalog_key, kind_key=kind_key, today=today, allow_list=allow_list
        )
