"""Import by upload: the same runner, rules and reject report as ``utilcredit import``.

Uploaded files are saved under ``<data_dir>/uploads/<upload id>/`` with their own names,
sanitised for the file system only (letters of every script kept: ``客户清单.csv`` stays
``客户清单.csv``), since the file stem names the kind, then imported with
:func:`utilcredit.importing.runner.import_paths`, which commits one transaction per file. The
names as uploaded are kept beside them (``.names.json``) and are what runs, pages and reports
show. The reject report CSV is written to ``<data_dir>/rejects/upload-<upload id>.csv``,
exactly as the CLI writes it, and downloads under the upload's name (``客户清单-拒收.csv``);
the rejects are also kept per run in ``import_rejects``.

Uploads and their reject reports hold personal data: they are kept for
``upload_retention_days`` (``UTILCREDIT_UPLOAD_RETENTION_DAYS``, default 30) and deleted after,
at the start of every upload and by ``utilcredit purge-uploads`` (:func:`purge_uploads`).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine

from utilcredit.access.model import Permission, Principal, require
from utilcredit.access.visibility import import_scope, may_read_upload_of
from utilcredit.config import Settings
from utilcredit.errors import FieldInvalidError
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.readers.source import FORMATS, SourceFile
from utilcredit.importing.runner import ImportReport, import_paths, write_reject_report

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
# Anything but letters and digits of any script, ``.``, ``_`` and ``-`` becomes ``_`` in the
# stored name: no separators, controls, bidirectional marks or spaces reach the file system.
_SAFE_NAME = re.compile(r"[^\w.\-]+")
MAX_NAME_CHARS = 80  # of a stored stem: 240 bytes in UTF-8 at most, under every file system's 255
NAMES_FILE = ".names.json"  # in an upload's folder: stored name → the name as uploaded
REJECTS_SUFFIX = "-拒收.csv"
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
    reject_download: str | None = None  # what the report downloads as, after the upload


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


def original_name(name: str) -> str:
    """The base name as uploaded (a browser may send a path), printable and NFC."""
    base = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    return "".join(c if c.isprintable() else "_" for c in base)[:200]


def safe_name(name: str) -> str:
    """The name to store an upload under: its own, sanitised for the file system only."""
    base = original_name(name)
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".")
    stem, suffix = Path(cleaned).stem, Path(cleaned).suffix
    cleaned = stem[:MAX_NAME_CHARS] + suffix if len(stem) > MAX_NAME_CHARS else cleaned
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
    purge_uploads(settings)
    upload_id = uuid.uuid4().hex
    folder = settings.data_dir / "uploads" / upload_id
    folder.mkdir(parents=True, exist_ok=False)
    saved: list[Path] = []
    names: dict[str, str] = {}
    total = 0
    try:
        for upload in uploads:
            target = folder / safe_name(upload.name)
            names[target.name] = original_name(upload.name)
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
    (folder / NAMES_FILE).write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
    return upload_id, saved


def display_names(paths: Iterable[Path]) -> dict[Path, str]:
    """The names as uploaded of saved uploads (their folder's record); a path without one
    keeps its own name."""
    found: dict[Path, str] = {}
    records: dict[Path, dict[str, str]] = {}
    for path in paths:
        if path.parent not in records:
            try:
                loaded = json.loads((path.parent / NAMES_FILE).read_text(encoding="utf-8"))
                records[path.parent] = {str(k): str(v) for k, v in dict(loaded).items()}
            except (OSError, ValueError, TypeError):
                records[path.parent] = {}
        found[path] = records[path.parent].get(path.name, path.name)
    return found


def reject_download_name(names: list[str]) -> str:
    """The reject report's name after the upload: ``客户清单-拒收.csv`` for one file,
    ``客户清单等3个文件-拒收.csv`` for several."""
    stems = [Path(name).stem or name for name in names] or ["upload"]
    first = stems[0][:MAX_NAME_CHARS]
    return first + (f"等{len(stems)}个文件" if len(stems) > 1 else "") + REJECTS_SUFFIX


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
    names = display_names(paths)
    report = import_paths(
        engine,
        paths,
        actor=principal.username,
        allow_list=settings.uscc_allow_list,
        batch_rows=settings.import_batch_rows,
        progress_for=progress_for,
        scope=import_scope(principal),  # rows of other utilities are rejected
        limits=ImportLimits.from_settings(settings),
        display_names=names,
    )
    reject_name: str | None = None
    download: str | None = None
    if not report.ok:
        reject_name = f"upload-{upload_id}.csv"
        download = reject_download_name([names.get(path, path.name) for path in paths])
        # before the report exists
        record_reject_owner(settings, upload_id, principal, download_name=download)
        write_reject_report(report, reject_report_path(settings, upload_id))
    result = summarize(upload_id, report, reject_name)
    result.reject_download = download
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
                file=item.name,
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


_UPLOAD_REPORT = re.compile(r"^upload-[0-9a-f]{32}\.(csv|owner\.json)$")


def purge_uploads(settings: Settings, *, days: int | None = None, now: float | None = None) -> int:
    """Delete the uploads, and the upload reject reports, last written more than ``days``
    (default: ``settings.upload_retention_days``) ago; returns how many uploads were deleted.
    Only names this module makes are touched (an upload id, ``upload-<id>.csv`` and its owner
    record); an upload being written is new, so it is never old enough."""
    keep_days = settings.upload_retention_days if days is None else days
    cutoff = (time.time() if now is None else now) - keep_days * 86_400
    removed = 0
    for entry in _entries(settings.data_dir / "uploads"):
        if UPLOAD_ID.match(entry.name) and _expired(entry, cutoff, folder=True):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    for entry in _entries(settings.data_dir / "rejects"):
        if _UPLOAD_REPORT.match(entry.name) and _expired(entry, cutoff, folder=False):
            entry.unlink(missing_ok=True)
    return removed


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:  # no such folder yet, or unreadable: nothing to purge
        return []


def _expired(entry: Path, cutoff: float, *, folder: bool) -> bool:
    try:
        if entry.is_symlink() or not (entry.is_dir() if folder else entry.is_file()):
            return False
        return entry.stat().st_mtime < cutoff
    except OSError:
        return False


def _reject_owner_path(settings: Settings, upload_id: str) -> Path:
    return reject_report_path(settings, upload_id).with_suffix(".owner.json")


def record_reject_owner(
    settings: Settings, upload_id: str, principal: Principal, *, download_name: str | None = None
) -> None:
    """Who uploaded: a report on disk has no owner of its own, so a sidecar file says whose it
    is (:func:`may_read_reject_report`), and what it downloads as (:func:`reject_download_of`)."""
    path = _reject_owner_path(settings, upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    owner: dict[str, object] = {"user_id": principal.user_id, "username": principal.username}
    if download_name:
        owner["download_name"] = download_name
    path.write_text(json.dumps(owner, ensure_ascii=False), encoding="utf-8")


def reject_download_of(settings: Settings, upload_id: str) -> str:
    """The name an upload's reject report downloads as (``客户清单-拒收.csv``); reports
    written before names were kept download as their stored name."""
    stored = reject_report_path(settings, upload_id).name
    try:
        owner = json.loads(_reject_owner_path(settings, upload_id).read_text(encoding="utf-8"))
        name = str(owner.get("download_name") or stored)
    except (OSError, ValueError, AttributeError):
        return stored
    return original_name(name) or stored


def may_read_reject_report(settings: Settings, upload_id: str, principal: Principal) -> bool:
    """Only the uploader (or an administrator of every utility) reads an upload's reject
    report; a report without a readable owner record is nobody's but such an administrator's."""
    try:
        owner = json.loads(_reject_owner_path(settings, upload_id).read_text(encoding="utf-8"))
        user_id, username = int(owner["user_id"]), str(owner["username"])
    except (OSError, ValueError, KeyError, TypeError):
        user_id, username = 0, ""
    return may_read_upload_of(principal, user_id, username)


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
