"""Import use case with its transaction boundaries: one transaction per file.

A file's rows, its rejects and its run record's final state commit together; if anything
fails mid-file the store is as it was before that file and the run is marked ``failed``
(or stays ``running`` if the process died), so the interruption is visible.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine

from utilcredit.audit import repository as audit
from utilcredit.config import IMPORT_BATCH_ROWS
from utilcredit.errors import ImportFileError
from utilcredit.importing import repository
from utilcredit.importing.formats import IMPORT_ORDER
from utilcredit.importing.readers import FORMATS, Progress, SourceFile, inspect, kind_of
from utilcredit.importing.service import LoadResult, Reject, load_file

ProgressFactory = Callable[[SourceFile], Progress | None]


@dataclass(slots=True)
class FileReport:
    path: Path
    kind: str | None = None
    run_id: int | None = None
    result: LoadResult | None = None
    error: str | None = None

    @property
    def rejects(self) -> list[Reject]:
        if self.error is not None:
            return [Reject(0, None, None, self.error)]
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
) -> ImportReport:
    report = ImportReport()
    for path in collect(paths):
        report.files.append(
            import_one(
                engine,
                path,
                actor=actor,
                allow_list=allow_list,
                batch_rows=batch_rows,
                progress_for=progress_for,
            )
        )
    return report


def import_one(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    allow_list: frozenset[str] = frozenset(),
    batch_rows: int = IMPORT_BATCH_ROWS,
    progress_for: ProgressFactory | None = None,
) -> FileReport:
    file_report = FileReport(path)
    try:
        source = inspect(path)
    except ImportFileError as error:
        file_report.error = str(error)
        return file_report
    file_report.kind = source.kind
    with engine.begin() as connection:
        file_report.run_id = repository.start_run(
            connection,
            file_name=str(path),
            kind=source.kind,
            file_format=source.file_format,
            encoding=source.encoding,
            sha256=source.sha256,
            actor=actor,
        )
    try:
        with engine.begin() as connection:
            result = load_file(
                connection,
                source,
                allow_list=allow_list,
                batch_rows=batch_rows,
                progress=progress_for(source) if progress_for else None,
            )
            _finish(connection, file_report.run_id, source, result, actor)
    except ImportFileError as error:
        file_report.error = str(error)
        _mark_failed(engine, file_report.run_id, str(error))
        return file_report
    except Exception as error:
        _mark_failed(engine, file_report.run_id, f"{type(error).__name__}: {error}")
        raise
    file_report.result = result
    return file_report


def _finish(
    connection: Connection, run_id: int, source: SourceFile, result: LoadResult, actor: str
) -> None:
    repository.add_rejects(
        connection,
        run_id,
        [
            {"row_number": r.row, "field": r.field, "value": r.value, "reason": r.reason}
            for r in result.rejects
        ],
    )
    repository.finish_run(
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


def _mark_failed(engine: Engine, run_id: int, message: str) -> None:
    with engine.begin() as connection:
        repository.finish_run(connection, run_id, status="failed", error=message[:4000])


REJECT_COLUMNS = ("file", "row", "field", "value", "reason")


def write_reject_report(report: ImportReport, destination: Path) -> int:
    """CSV (UTF-8 with BOM so spreadsheet programs show Chinese) of every rejected row."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with destination.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECT_COLUMNS)
        for file_report in report.files:
            for reject in file_report.rejects:
                writer.writerow(
                    (
                        file_report.path.name,
                        reject.row,
                        reject.field or "",
                        reject.value or "",
                        reject.reason,
                    )
                )
                count += 1
    return count
