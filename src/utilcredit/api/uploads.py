"""Import by upload: the same runner, rules and reject report as ``utilcredit import``.

Uploaded files are saved under ``<data_dir>/uploads/<upload id>/`` with their own (sanitised)
names, since the file stem names the kind, then imported with
:func:`utilcredit.importing.runner.import_paths`, which commits one transaction per file. The
reject report CSV is written to ``<data_dir>/rejects/upload-<upload id>.csv``, exactly as the
CLI writes it; the rejects are also kept per run in ``import_rejects``.
"""

from __future__ import annotations

import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine

from utilcredit.access.model import Permission, Principal, require
from utilcredit.api.errors import FieldInvalidError
from utilcredit.config import Settings
from utilcredit.importing.readers import FORMATS, SourceFile
from utilcredit.importing.runner import ImportReport, import_paths, write_reject_report

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_SAFE_NAME = re.compile(r"[^0-9A-Za-z._\-]+")
CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    stream: BinaryIO


@dataclass(slots=True)
class FileOutcome:
    file: str
    kind: str | None
    run_id: int | None
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    error: str | None


@dataclass(slots=True)
class UploadResult:
    upload_id: str
    ok: bool
    files: list[FileOutcome]
    rejected_rows: int
    reject_report: str | None  # file name under the rejects folder


@dataclass(slots=True)
class UploadProgress:
    """Bytes read so far over all files; updated by the runner's progress callbacks."""

    total: int = 0
    done: int = 0
    current: str = ""
    finished: bool = False
    result: UploadResult | None = None
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self, amount: int) -> None:
        with self.lock:
            self.done = min(self.total, self.done + amount) if self.total else self.done + amount

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".")
    if not cleaned or Path(cleaned).suffix.lower() not in FORMATS:
        raise FieldInvalidError(
            "files",
            f"不支持的文件：{base}（应为 {', '.join(sorted(FORMATS))}） / unsupported file {base}; "
            f"expected {', '.join(sorted(FORMATS))}",
        )
    return cleaned


def save_uploads(
    settings: Settings, principal: Principal, uploads: Iterable[Upload], max_bytes: int
) -> tuple[str, list[Path]]:
    require(principal, Permission.IMPORT, entity="import")
    upload_id = uuid.uuid4().hex
    folder = settings.data_dir / "uploads" / upload_id
    folder.mkdir(parents=True, exist_ok=False)
    saved: list[Path] = []
    total = 0
    try:
        for upload in uploads:
            target = folder / safe_name(upload.name)
            if target.exists():
                raise FieldInvalidError(
                    "files", f"文件重名：{target.name} / duplicate file {target.name}"
                )
            with target.open("wb") as handle:
                while chunk := upload.stream.read(CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise FieldInvalidError(
                            "files",
                            f"上传过大（上限 {max_bytes} 字节） / upload exceeds {max_bytes} bytes",
                        )
                    handle.write(chunk)
            saved.append(target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not saved:
        shutil.rmtree(folder, ignore_errors=True)
        raise FieldInvalidError("files", "请选择要导入的文件 / no file uploaded")
    return upload_id, saved


def run_import(
    engine: Engine,
    settings: Settings,
    principal: Principal,
    upload_id: str,
    paths: list[Path],
    progress: UploadProgress | None = None,
) -> UploadResult:
    """Import saved uploads (one transaction per file, by the runner) and write the report."""
    require(principal, Permission.IMPORT, entity="import")

    def progress_for(source: SourceFile) -> Callable[[int], None] | None:
        if progress is None:
            return None
        progress.current = source.path.name
        return progress.advance

    if progress is not None:
        progress.total = sum(path.stat().st_size for path in paths)
    report = import_paths(
        engine,
        paths,
        actor=principal.username,
        allow_list=settings.uscc_allow_list,
        batch_rows=settings.import_batch_rows,
        progress_for=progress_for,
    )
    reject_name: str | None = None
    if not report.ok:
        reject_name = f"upload-{upload_id}.csv"
        write_reject_report(report, reject_report_path(settings, upload_id))
    result = summarize(upload_id, report, reject_name)
    if progress is not None:
        progress.result = result
        progress.finished = True
    return result


def summarize(upload_id: str, report: ImportReport, reject_name: str | None) -> UploadResult:
    files = []
    for item in report.files:
        result = item.result
        files.append(
            FileOutcome(
                file=item.path.name,
                kind=item.kind,
                run_id=item.run_id,
                rows_read=result.rows_read if result else 0,
                inserted=result.inserted if result else 0,
                updated=result.updated if result else 0,
                unchanged=result.unchanged if result else 0,
                rejected=result.rejected_rows if result else 0,
                error=item.error,
            )
        )
    return UploadResult(
        upload_id=upload_id,
        ok=report.ok,
        files=files,
        rejected_rows=report.rejected_rows + sum(1 for f in report.files if f.error),
        reject_report=reject_name,
    )


def reject_report_path(settings: Settings, upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id):
        raise FieldInvalidError("upload_id", "上传编号无效 / invalid upload id")
    return settings.data_dir / "rejects" / f"upload-{upload_id}.csv"


class ImportJobs:
    """Imports started from the console, running in a background thread each, with progress."""

    def __init__(self) -> None:
        self._jobs: dict[str, tuple[str, UploadProgress]] = {}
        self._lock = threading.Lock()

    def start(
        self,
        engine: Engine,
        settings: Settings,
        principal: Principal,
        upload_id: str,
        paths: list[Path],
    ) -> UploadProgress:
        progress = UploadProgress()
        with self._lock:
            self._jobs[upload_id] = (principal.username, progress)

        def work() -> None:
            try:
                run_import(engine, settings, principal, upload_id, paths, progress)
            except Exception as error:  # shown on the page; the runner marked the run failed
                progress.error = f"{type(error).__name__}: {error}"
                progress.finished = True

        threading.Thread(target=work, name=f"import-{upload_id[:8]}", daemon=True).start()
        return progress

    def get(self, upload_id: str, username: str) -> UploadProgress | None:
        with self._lock:
            found = self._jobs.get(upload_id)
        if found is None or found[0] != username:
            return None
        return found[1]
