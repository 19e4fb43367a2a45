"""How much one import may read and reject (settings ``UTILCREDIT_IMPORT_*``, see config.py).

An export is untrusted input: a small file can expand (an XLSX of a few hundred kilobytes can
hold hundreds of megabytes of shared strings or millions of empty rows), a wrong export can
reject every row, and a binary file can be one endless line. Each bound turns such a file
into a reject with a reason instead of memory, time or a reject table without end:

- ``max_rows``: non-blank rows per file (any format); XLSX sheets also stop at Excel's own
  1,048,576 rows, blank ones included. The file is refused as a whole.
- ``max_rejects``: rejects per file; past it the file is stopped and nothing of it is kept,
  its first ``max_rejects`` rejects are reported with the reason.
- ``max_field_chars``: characters per cell of a field; a longer cell rejects its row.
- ``max_line_bytes``: bytes per physical line of a CSV or JSON Lines file; a longer line
  stops the file (it is not text). Must stay above any row worth rejecting on its own.
- ``xlsx_max_bytes`` / ``xlsx_max_shared_strings_bytes``: the uncompressed size of an XLSX
  file's XML parts, and of its shared strings (held in memory while the file is read), as
  declared by the package, checked before anything is parsed; reads are held to the
  declared sizes by :mod:`zipfile` (a member that inflates past them fails its CRC check).
- ``lock_wait_seconds``: how long an import waits for another one on the same store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from utilcredit.config import (
    IMPORT_LOCK_WAIT_SECONDS,
    IMPORT_MAX_FIELD_CHARS,
    IMPORT_MAX_LINE_BYTES,
    IMPORT_MAX_REJECTS,
    IMPORT_MAX_ROWS,
    IMPORT_XLSX_MAX_BYTES,
    IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES,
    Settings,
)
from utilcredit.errors import ImportFileError

# A worksheet has at most this many rows in Excel (and in the OOXML limits Excel enforces).
XLSX_MAX_SHEET_ROWS = 1_048_576


class TooManyRejectsError(ImportFileError):
    """The file was stopped after ``limit`` rejects; ``rejects`` are the first of them."""

    def __init__(self, limit: int, rejects: Sequence[Any] = ()) -> None:
        super().__init__(
            f"拒收超过{limit}条，已停止导入该文件（未保存其任何数据），请修正导出文件后重新导入 / "
            f"more than {limit} rejects: the file was stopped and nothing of it was kept; "
            "fix the export and import it again"
        )
        self.limit = limit
        self.rejects = list(rejects)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit, self.rejects))


@dataclass(frozen=True, slots=True)
class ImportLimits:
    max_rows: int = IMPORT_MAX_ROWS
    max_rejects: int = IMPORT_MAX_REJECTS
    max_field_chars: int = IMPORT_MAX_FIELD_CHARS
    max_line_bytes: int = IMPORT_MAX_LINE_BYTES
    xlsx_max_bytes: int = IMPORT_XLSX_MAX_BYTES
    xlsx_max_shared_strings_bytes: int = IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES
    lock_wait_seconds: float = IMPORT_LOCK_WAIT_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_rows=settings.import_max_rows,
            max_rejects=settings.import_max_rejects,
            max_field_chars=settings.import_max_field_chars,
            max_line_bytes=settings.import_max_line_bytes,
            xlsx_max_bytes=settings.import_xlsx_max_bytes,
            xlsx_max_shared_strings_bytes=settings.import_xlsx_max_shared_strings_bytes,
            lock_wait_seconds=settings.import_lock_wait_seconds,
        )

    def check_rejects(self, rejects: Sequence[Any]) -> None:
        """Stop the file once it has more than ``max_rejects`` rejects (called per batch)."""
        if len(rejects) > self.max_rejects:
            first = sorted(rejects, key=lambda reject: reject.row)[: self.max_rejects]
            raise TooManyRejectsError(self.max_rejects, first)

    def check_rows(self, rows: int) -> None:
        if rows > self.max_rows:
            raise ImportFileError(
                f"文件超过{self.max_rows}行，未导入 / the file has more than {self.max_rows} "
                "rows and was not imported (UTILCREDIT_IMPORT_MAX_ROWS)"
            )


DEFAULT_LIMITS = ImportLimits()
