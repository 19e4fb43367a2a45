"""Read canonical files (CSV in UTF-8 / UTF-8-BOM / GB18030, XLSX, JSON Lines) as raw rows.

A reader yields ``(row_number, cells)``; :class:`~.rows.Header` says which cell holds which
field. Row numbers are the ones a person sees in the file (the header is row 1; JSON Lines
count lines from 1). A row that cannot be read at all is a :class:`~.rows.BrokenRow`.

Files are untrusted (see :mod:`utilcredit.importing.limits`): :mod:`.source` scans a file
before it is read (kind, format, encoding, fingerprint), :mod:`.text` reads CSV and JSON
Lines, :mod:`.xlsx` checks and reads XLSX packages; :func:`read_rows` picks the reader.
"""

from __future__ import annotations

from collections.abc import Iterator

from utilcredit.importing.formats import KINDS
from utilcredit.importing.limits import DEFAULT_LIMITS, ImportLimits
from utilcredit.importing.readers.rows import Header, Progress, RawRow
from utilcredit.importing.readers.source import SourceFile
from utilcredit.importing.readers.text import read_csv, read_jsonl
from utilcredit.importing.readers.xlsx import read_xlsx


def read_rows(
    source: SourceFile, progress: Progress | None = None, limits: ImportLimits = DEFAULT_LIMITS
) -> tuple[Header, Iterator[RawRow]]:
    spec = KINDS[source.kind]
    if source.file_format == "xlsx":
        return read_xlsx(source, spec, progress, limits)
    if source.file_format == "jsonl":
        return Header.in_field_order(spec), read_jsonl(source, spec, progress, limits)
    return read_csv(source, progress, limits)
