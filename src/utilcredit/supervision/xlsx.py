"""The monthly reports as an XLSX workbook: one sheet a section (:mod:`.sheets`), Chinese
headers, written with openpyxl's write-only mode (rows streamed to the file, never held as
cells)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from utilcredit.supervision.model import MonthlyReport
from utilcredit.supervision.sheets import sheets

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(reports: Sequence[MonthlyReport], target: str | IO[bytes]) -> None:
    """Write the workbook to a path or a binary file object."""
    from openpyxl import Workbook  # heavy: only the export pays for it

    book = Workbook(write_only=True)
    for sheet in sheets(reports):
        page = book.create_sheet(sheet.title)
        page.append(list(sheet.headers))
        for row in sheet.rows:
            page.append(list(row))
    book.save(target)


def file_name(month: str, utility: str | None) -> str:
    """``supervision-2026-11-water.xlsx`` (ASCII, for the Content-Disposition header)."""
    return f"supervision-{month}-{utility or 'all'}.xlsx"
