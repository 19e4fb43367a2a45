"""Files attached to objections and repair applications: PDF or images, size-limited,
stored under the data folder by their hash."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.config import Settings
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.records.cases import CaseType, visible_record
from utilcredit.records.repository import casework
from utilcredit.records.repository import objections as objection_queries
from utilcredit.records.repository import repairs as repair_queries
from utilcredit.records.repository.casework import AttachmentLine


@dataclass(frozen=True, slots=True)
class Upload:
    file_name: str
    data: bytes


_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def checked_type(upload: Upload, max_bytes: int) -> str:
    """The upload's content type from its first bytes; refuses what is not a PDF or an image."""
    name = Path(upload.file_name or "file").name[:200]
    if len(upload.data) > max_bytes:
        raise InvalidInputError(
            f"附件 {name} 超过 {max_bytes:,} 字节 / attachment {name} is larger "
            f"than {max_bytes} bytes"
        )
    for signature, content_type in _SIGNATURES:
        if upload.data.startswith(signature):
            return content_type
    raise InvalidInputError(
        f"附件 {name} 不是 PDF、PNG 或 JPEG 文件 / attachment {name} is not a PDF, PNG or JPEG file"
    )


def store_uploads(
    connection: Connection,
    case_type: CaseType,
    case_id: int,
    uploads: Sequence[Upload],
    content_types: Sequence[str],
    *,
    actor: str,
    folder: Path,
) -> None:
    # Files are named by their hash: a retried request writes the same file, a rolled-back
    # one leaves an unreferenced file that nothing serves.
    for upload, content_type in zip(uploads, content_types, strict=True):
        digest = hashlib.sha256(upload.data).hexdigest()
        path = attachment_path(folder, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(upload.data)
            temporary.replace(path)
        casework.insert_attachment(
            connection,
            case_type=case_type.value,
            case_id=case_id,
            file_name=Path(upload.file_name or "file").name[:200],
            content_type=content_type,
            size=len(upload.data),
            sha256=digest,
            uploaded_by=actor,
        )


def attachment_path(folder: Path, digest: str) -> Path:
    return folder / digest[:2] / digest


def attachment(
    connection: Connection, principal: Principal | None, attachment_id: int, folder: Path
) -> tuple[AttachmentLine, Path]:
    found = casework.get_attachment(connection, attachment_id)
    record_id = None
    if found is not None:
        case = (
            objection_queries.get_objection(connection, found.case_id)
            if found.case_type == "objection"
            else repair_queries.get_repair(connection, found.case_id)
        )
        record_id = case.record_id if case is not None else None
    if found is None or record_id is None:
        raise NotFoundError(f"没有该附件：{attachment_id} / no attachment {attachment_id}")
    visible_record(connection, principal, record_id)
    return found, attachment_path(folder, found.sha256)


def attachments_folder(settings: Settings) -> Path:
    return settings.data_dir / "attachments"
