"""Read canonical files (CSV in UTF-8 / UTF-8-BOM / GB18030, XLSX, JSON Lines) as raw rows.

A reader yields ``(row_number, cells)``; :class:`Header` says which cell holds which field.
Row numbers are the ones a person sees in the file (the header is row 1; JSON Lines count
lines from 1). A row that cannot be read at all is a :class:`BrokenRow`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import KINDS, KindSpec

Progress = Callable[[int], None]
Cells = Sequence[Any]
RawRow = tuple[int, "Cells | BrokenRow"]

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    kind: str
    file_format: str
    size: int
    sha256: str
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class BrokenRow:
    reason: str


@dataclass(slots=True)
class Header:
    """How a file's columns map onto the kind's fields."""

    index_of: dict[str, int]  # canonical field → cell index
    ignored: list[str] = field(default_factory=list)
    width: int = 0  # CSV: the header's number of columns

    @classmethod
    def in_field_order(cls, spec: KindSpec) -> Header:
        return cls({name: index for index, name in enumerate(spec.field_names)})


def kind_of(path: Path) -> str:
    """The kind named by the file's stem: ``bills.csv``, ``bills_2026-01.csv`` → ``bills``."""
    stem = path.name.split(".")[0].lower()
    for kind in sorted(KINDS, key=len, reverse=True):
        if stem == kind or (stem.startswith(kind) and stem[len(kind)] in "_-. "):
            return kind
    raise ImportFileError(
        f"无法从文件名判断数据类型：{path.name}（应以 {', '.join(KINDS)} 之一命名）"
        f" / cannot tell the kind from the file name {path.name}; name it after one of {', '.join(KINDS)}"
    )


def inspect(path: Path) -> SourceFile:
    """Identify kind, format and (for CSV) encoding, and fingerprint the content."""
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path} / no such file: {path}")
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise ImportFileError(
            f"不支持的文件格式：{path.suffix}（支持 CSV、XLSX、JSONL） / unsupported format {path.suffix} (CSV, XLSX, JSONL)"
        )
    kind = kind_of(path)
    sha256, utf8_ok, has_bom = _scan(path)
    encoding: str | None = None
    if file_format in ("csv", "jsonl"):
        encoding = "utf-8-sig" if has_bom else "utf-8" if utf8_ok else "gb18030"
    return SourceFile(path, kind, file_format, path.stat().st_size, sha256, encoding)


def _scan(path: Path) -> tuple[str, bool, bool]:
    """One pass over the bytes: SHA-256, whether they are valid UTF-8, and a UTF-8 BOM."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    with path.open("rb") as handle:
        first = handle.read(_CHUNK)
        has_bom = first.startswith(codecs.BOM_UTF8)
        chunk = first
        while chunk:
            digest.update(chunk)
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            chunk = handle.read(_CHUNK)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    return digest.hexdigest(), utf8_ok, has_bom


def estimate_rows(source: SourceFile) -> int:
    """Roughly how many rows a text file holds, from the line length of its first 64 KiB
    (0 when unknown: XLSX)."""
    if source.file_format == "xlsx" or source.size == 0:
        return 0
    with source.path.open("rb") as handle:
        sample = handle.read(1 << 16)
    lines = sample.count(b"\n")
    return max(1, source.size * lines // len(sample)) if lines else 1


def map_header(spec: KindSpec, names: list[str]) -> Header:
    """Match header cells to fields; a missing required column rejects the whole file."""
    accepted = spec.header_map()
    index_of: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(names):
        canonical = accepted.get(str(name or "").strip().lower())
        if canonical is None or canonical in index_of:
            ignored.append(str(name))
        else:
            index_of[canonical] = index
    missing = [name for name in spec.required if name not in index_of]
    if missing:
        raise ImportFileError(
            f"缺少必填列：{', '.join(missing)} / missing required columns: {', '.join(missing)}"
        )
    return Header(index_of, ignored)


class _CountingReader(io.RawIOBase):
    """Reports bytes consumed, so a progress bar can follow a text stream."""

    def __init__(self, raw: IO[bytes], progress: Progress | None) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        if self._progress:
            self._progress(len(data))
        return len(data)


def read_rows(
    source: SourceFile, progress: Progress | None = None
) -> tuple[Header, Iterator[RawRow]]:
    spec = KINDS[source.kind]
    if source.file_format == "xlsx":
        return _read_xlsx(source, spec, progress)
    if source.file_format == "jsonl":
        return Header.in_field_order(spec), _read_jsonl(source, spec, progress)
    return _read_csv(source, spec, progress)


def _open_text(source: SourceFile, progress: Progress | None) -> io.TextIOWrapper:
    raw = source.path.open("rb")
    buffered = io.BufferedReader(_CountingReader(raw, progress), buffer_size=_CHUNK)
    return io.TextIOWrapper(buffered, encoding=source.encoding or "utf-8", newline="")


@dataclass(slots=True)
class CsvRows:
    """An open CSV file past its header: ``reader`` yields cell lists, ``line_num`` tracks rows."""

    header: Header
    reader: Any  # csv.reader: iterates list[str], has line_num
    handle: IO[str]

    def close(self) -> None:
        self.handle.close()


def open_csv(source: SourceFile, progress: Progress | None = None) -> CsvRows:
    spec = KINDS[source.kind]
    handle = _open_text(source, progress)
    reader = csv.reader(handle)
    try:
        names = next(reader)
    except StopIteration:
        handle.close()
        raise ImportFileError("文件为空，没有表头 / the file is empty (no header row)") from None
    try:
        header = map_header(spec, names)
    except ImportFileError:
        handle.close()
        raise
    header.width = len(names)
    return CsvRows(header, reader, handle)


def _read_csv(
    source: SourceFile, spec: KindSpec, progress: Progress | None
) -> tuple[Header, Iterator[RawRow]]:
    opened = open_csv(source, progress)
    reader = opened.reader

    def rows() -> Iterator[RawRow]:
        with opened.handle:
            for cells in reader:
                if any(cells):
                    yield reader.line_num, cells

    return opened.header, rows()


def _read_jsonl(source: SourceFile, spec: KindSpec, progress: Progress | None) -> Iterator[RawRow]:
    accepted = spec.header_map()
    order = Header.in_field_order(spec).index_of
    with _open_text(source, progress) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as error:
                yield (
                    line_number,
                    BrokenRow(f"JSON格式错误：{error.msg} / invalid JSON: {error.msg}"),
                )
                continue
            if not isinstance(document, dict):
                yield (
                    line_number,
                    BrokenRow("每行应为一个JSON对象 / each line must be a JSON object"),
                )
                continue
            cells: list[Any] = [None] * len(order)
            for key, value in document.items():
                canonical = accepted.get(str(key).strip().lower())
                if canonical:
                    cells[order[canonical]] = value
            yield line_number, cells


def _read_xlsx(
    source: SourceFile, spec: KindSpec, progress: Progress | None
) -> tuple[Header, Iterator[RawRow]]:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    try:
        workbook = load_workbook(source.path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise ImportFileError(
            f"无法读取XLSX文件：{error} / cannot read the XLSX file: {error}"
        ) from error
    sheet = workbook.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        names = [str(value) if value is not None else "" for value in next(cells)]
        header = map_header(spec, names)
    except (StopIteration, ImportFileError) as error:
        workbook.close()
        if isinstance(error, ImportFileError):
            raise
        raise ImportFileError("工作表为空，没有表头 / the sheet is empty (no header row)") from None

    def rows() -> Iterator[RawRow]:
        try:
            for row_number, values in enumerate(cells, start=2):
                if progress:
                    progress(1)
                if any(value is not None and value != "" for value in values):
                    yield row_number, [_xlsx_cell(value) for value in values]
        finally:
            workbook.close()

    return header, rows()


def _xlsx_cell(value: Any) -> Any:
    """Spreadsheet numbers arrive as float; go through their shortest repr, never binary."""
    if isinstance(value, float):
        return Decimal(repr(value)) if not value.is_integer() else Decimal(int(value))
    return value
