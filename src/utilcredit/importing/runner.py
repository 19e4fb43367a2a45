"""Import use case with its transaction boundaries: one transaction per file.

A file's rows, its rejects and its run record's final state commit together; if anything
fails mid-file the store is as it was before that file and the run is marked ``failed``
(or stays ``running`` if the process died), so the interruption is visible.

Nothing a file holds stops an import: a file that cannot be imported — unreadable, too large,
too many rejects, even an unexpected error — is reported with the reason (a reject of row 0),
its run is marked ``failed`` with the reason and the failure is audited (``import_failed``),
and the next file is imported. One import runs at a time per store (:mod:`.serial`).
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine

from utilcredit.access import audit_trail as audit
from utilcredit.config import IMPORT_BATCH_ROWS
from utilcredit.customers.model import Utility
from utilcredit.errors import ImportFileError
from utilcredit.importing import serial
from utilcredit.importing.formats import IMPORT_ORDER, brief, printable
from utilcredit.importing.limits import DEFAULT_LIMITS, ImportLimits, TooManyRejectsError
from utilcredit.importing.readers.rows import Progress
from utilcredit.importing.readers.source import FORMATS, SourceFile, inspect, kind_of
from utilcredit.importing.repository import lookups, runs
from utilcredit.importing.service import LoadResult, Reject, load_file

ProgressFactory = Callable[[SourceFile], Progress | None]
log = logging.getLogger(__name__)


@dataclass(slots=True)
class FileReport:
    path: Path
    kind: str | None = None
    run_id: int | None = None
    result: LoadResult | None = None
    error: str | None = None
    # A file stopped for too many rejects: the first of them, reported beside the error.
    partial_rejects: list[Reject] = field(default_factory=list)
    # The name people know the file by (an upload's own name, e.g. 客户清单.csv) when it is
    # stored under another one; ``None``: the path's name.
    display_name: str | None = None

    @property
    def name(self) -> str:
        return self.display_name or self.path.name

    @property
    def rejects(self) -> list[Reject]:
        if self.error is not None:
            return [Reject(0, None, None, self.error), *self.partial_rejects]
        return self.result.rejects if self.result else []


@dataclass(slots=True)
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(report.rejects for report in self.files)

    @property
    def rejected_rows(self) -> int:
        return sum(report.result.rejected_rows for report in self.files if report.result)


def collect(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to their importable files; order parents before children."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)
            )
        else:
            found.append(path)

    def order(path: Path) -> tuple[int, str]:
        try:
            return IMPORT_ORDER.index(kind_of(path)), path.name
        except ImportFileError:
            return len(IMPORT_ORDER), path.name

    return sorted(found, key=order)


def import_paths(
    engine: Engine,
    paths: Iterable[Path],
    *,
    actor: str,
    allow_list: frozenset[str] = frozenset(),
    batch_rows: int = IMPORT_BATCH_ROWS,
    progress_for: ProgressFactory | None = None,
    scope: frozenset[Utility] | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
    display_names: Mapping[Path, str] | None = None,
) -> ImportReport:
    """``scope``: the utilities the importer may write (``None``: every one, e.g. the CLI);
    rows touching another utility's data are rejected (see :mod:`.service`).
    ``display_names``: the names to record and report for files stored under another name
    (uploads keep the uploader's name; the stored one is sanitised).

    The files are imported under the store's import lock, waiting for another import up to
    ``limits.lock_wait_seconds``; past that every file is reported refused (nothing is read
    or written). Never raises for what a file holds (see the module docstring)."""
    report = ImportReport()
    try:
        files = collect(paths)
    except OSError as error:  # a folder that cannot be listed
        report.files.append(
            FileReport(Path(str(error.filename or "?")), error=_failure_message(error))
        )
        return report
    try:
        with serial.import_lock(engine, limits.lock_wait_seconds):
            for path in files:
                report.files.append(
                    _import_file(
                        engine,
                        path,
                        actor=actor,
                        allow_list=allow_list,
                        batch_rows=batch_rows,
                        progress_for=progress_for,
                        scope=scope,
                        limits=limits,
                        display_name=(display_names or {}).get(path),
                    )
                )
    except serial.ImportBusyError as error:
        report.files = [_refused(path, error) for path in files]
    return report


def _refused(path: Path, error: serial.ImportBusyError) -> FileReport:
    try:
        kind: str | None = kind_of(path)
    except ImportFileError:
        kind = None
    return FileReport(path, kind=kind, error=str(error))


def _import_file(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    allow_list: frozenset[str],
    batch_rows: int,
    progress_for: ProgressFactory | None,
    scope: frozenset[Utility] | None,
    limits: ImportLimits,
    display_name: str | None = None,
) -> FileReport:
    file_report = FileReport(path, display_name=display_name)
    try:
        source = inspect(path)
    except (ImportFileError, OSError) as error:
        file_report.error = _failure_message(error)
        _record_failure(engine, file_report, None, actor)
        return file_report
    file_report.kind = source.kind
    try:
        _load(
            engine, file_report, source, actor, allow_list, batch_rows, progress_for, scope, limits
        )
    except Exception as error:
        file_report.error = _failure_message(error)
        if isinstance(error, TooManyRejectsError):
            file_report.partial_rejects = list(error.rejects)
        if not isinstance(error, ImportFileError):  # the run records type and message
            log.info("import of %s failed", path, exc_info=True)
        _record_failure(engine, file_report, source, actor)
    return file_report


def _load(
    engine: Engine,
    file_report: FileReport,
    source: SourceFile,
    actor: str,
    allow_list: frozenset[str],
    batch_rows: int,
    progress_for: ProgressFactory | None,
    scope: frozenset[Utility] | None,
    limits: ImportLimits,
) -> None:
    with engine.begin() as connection:
        file_report.run_id = runs.start_run(
            connection,
            file_name=printable(file_report.display_name or str(source.path))[-500:],
            kind=source.kind,
            file_format=source.file_format,
            encoding=source.encoding,
            sha256=source.sha256,
            actor=actor,
            scope=lookups.scope_of(scope),
        )
    with engine.begin() as connection:
        result = load_file(
            connection,
            source,
            allow_list=allow_list,
            batch_rows=batch_rows,
            progress=progress_for(source) if progress_for else None,
            scope=scope,
            limits=limits,
        )
        _finish(connection, file_report.run_id, source, result, actor)
    file_report.result = result


def _failure_message(error: BaseException) -> str:
    if isinstance(error, ImportFileError):
        return printable(str(error))
    if isinstance(error, OSError):
        reason = printable(brief(error.strerror or str(error), 200))
        return f"无法读取文件：{reason} / cannot read the file: {reason}"
    reason = printable(brief(f"{type(error).__name__}: {error}", 1000))
    return f"导入失败（内部错误）：{reason} / import failed (internal error): {reason}"


def _finish(
    connection: Connection, run_id: int, source: SourceFile, result: LoadResult, actor: str
) -> None:
    runs.add_rejects(connection, run_id, _reject_rows(result.rejects))
    runs.finish_run(
        connection,
        run_id,
        status="done",
        rows_read=result.rows_read,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected_rows,
    )
    audit.record(
        connection,
        actor=actor,
        action="import",
        entity=source.kind,
        entity_key=source.path.name,
        detail={
            "run_id": run_id,
            "sha256": source.sha256,
            "rows": result.rows_read,
            "inserted": result.inserted,
            "updated": result.updated,
            "rejected": result.rejected_rows,
        },
    )


def _reject_rows(rejects: Sequence[Reject]) -> list[dict[str, object]]:
    """Rejects as ``import_rejects`` rows: storable text, within the columns' sizes."""
    return [
        {
            "row_number": r.row,
            "field": r.field[:64] if r.field else r.field,
            "value": printable(r.value[:500]) if r.value else r.value,
            "reason": printable(r.reason[:500]),
        }
        for r in rejects
    ]


def _record_failure(
    engine: Engine, file_report: FileReport, source: SourceFile | None, actor: str
) -> None:
    """In a transaction of its own (the file's rolled back): the run ``failed`` with the reason
    and its rejects (row 0: the reason), and the audit entry ``import_failed``. A store that
    cannot take even this (e.g. it is down) leaves the run ``running``: still visible."""
    message = file_report.error or "?"
    try:
        with engine.begin() as connection:
            if file_report.run_id is not None:
                runs.add_rejects(connection, file_report.run_id, _reject_rows(file_report.rejects))
                runs.finish_run(
                    connection, file_report.run_id, status="failed", error=message[:4000]
                )
            audit.record(
                connection,
                actor=actor,
                action="import_failed",
                entity=file_report.kind or "import",
                entity_key=printable(file_report.name)[:200],
                reason=message[:500],
                detail={
                    "run_id": file_report.run_id,
                    "sha256": source.sha256 if source else None,
                    "error": message[:2000],
                    "rejects": len(file_report.partial_rejects),
                },
            )
    except Exception:
        log.info("could not record the failed import of %s", file_report.path, exc_info=True)


REJECT_COLUMNS = ("file", "row", "field", "value", "reason")
# The same columns for an upload whose header row was in Chinese: the report answers in the
# words the file used.
REJECT_COLUMNS_ZH = ("文件", "行号", "字段", "值", "原因")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# A cell a spreadsheet program would take for a formula (OWASP "CSV injection"): = + - @, tab
# and carriage return, and their full-width forms, which some spreadsheet programs accept too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_safe(cell: object) -> object:
    """A reject report's cell, neutralised: text a spreadsheet would evaluate gets a leading
    ``'`` (shown as text, the value readable), and undecodable characters become U+FFFD."""
    if not isinstance(cell, str):
        return cell
    cell = printable(cell)
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def reject_report_row(cells: Sequence[object]) -> list[object]:
    """One row of a reject report CSV (``REJECT_COLUMNS``), safe to open in a spreadsheet."""
    return [spreadsheet_safe(cell) for cell in cells]


def used_chinese_headers(report: ImportReport) -> bool:
    """Whether any file of the report named its columns in Chinese."""
    return any(
        _CJK.search(name)
        for file_report in report.files
        if file_report.result is not None
        for name in file_report.result.headers.values()
    )


def _field_as_named(file_report: FileReport, field_name: str | None) -> str:
    """A reject's field by the header the file used (``code`` → ``统一社会信用代码``)."""
    if not field_name:
        return ""
    named = file_report.result.headers if file_report.result else {}
    return named.get(field_name, field_name)


def write_reject_report(report: ImportReport, destination: Path) -> int:
    """CSV (UTF-8 with BOM so spreadsheet programs show Chinese) of every rejected row, its
    fields named as the files named them (and its columns in Chinese when their headers were)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with destination.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECT_COLUMNS_ZH if used_chinese_headers(report) else REJECT_COLUMNS)
        for file_report in report.files:
            for reject in file_report.rejects:
                writer.writerow(
                    reject_report_row(
                        (
                            file_report.name,
                            reject.row,
                            _field_as_named(file_report, reject.field),
                            reject.value or "",
                            reject.reason,
                        )
                    )
                )
                count += 1
    return count
