"""Catalog files written row by row and read back: CSV (UTF-8 with BOM or GB18030), XLSX
(openpyxl's write-only and read-only modes) and JSON (one array of objects keyed by the data
items, written one object at a time). Memory stays flat whatever the number of rows."""

from __future__ import annotations

import codecs
import csv
import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Protocol

from utilcredit.errors import InvalidInputError
from utilcredit.exchange.model import Encoding, ExportFormat


class RowWriter(Protocol):
    def write(self, values: Sequence[str]) -> None: ...

    def write_many(self, rows: Iterable[Sequence[str]]) -> None: ...

    def close(self) -> None: ...


class _CsvWriter:
    def __init__(self, path: Path, headers: Sequence[str], encoding: Encoding) -> None:
        self._handle: IO[str] = path.open("w", encoding=encoding.value, newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(headers)

    def write(self, values: Sequence[str]) -> None:
        self._writer.writerow(values)

    def write_many(self, rows: Iterable[Sequence[str]]) -> None:
        self._writer.writerows(rows)

    def close(self) -> None:
        self._handle.close()


class _JsonWriter:
    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self._handle: IO[str] = path.open("w", encoding="utf-8")
        self._headers = headers
        self._first = True
        self._handle.write("[")

    def write(self, values: Sequence[str]) -> None:
        self._handle.write("\n" if self._first else ",\n")
        self._first = False
        item = dict(zip(self._headers, values, strict=True))
        self._handle.write(json.dumps(item, ensure_ascii=False))

    def write_many(self, rows: Iterable[Sequence[str]]) -> None:
        for values in rows:
            self.write(values)

    def close(self) -> None:
        self._handle.write("\n]\n")
        self._handle.close()


class _XlsxWriter:
    def __init__(self, path: Path, headers: Sequence[str], title: str) -> None:
        from openpyxl import Workbook

        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title[:31])  # Excel's limit on sheet names
        self._sheet.append(list(headers))

    def write(self, values: Sequence[str]) -> None:
        self._sheet.append(list(values))  # text cells: codes and dates keep their form

    def write_many(self, rows: Iterable[Sequence[str]]) -> None:
        for values in rows:
            self.write(values)

    def close(self) -> None:
        self._book.save(self._path)


def open_writer(
    path: Path, fmt: ExportFormat, headers: Sequence[str], *, title: str, encoding: Encoding
) -> RowWriter:
    if fmt is ExportFormat.CSV:
        return _CsvWriter(path, headers, encoding)
    if fmt is ExportFormat.JSON:
        return _JsonWriter(path, headers)
    return _XlsxWriter(path, headers, title)


def suffix(fmt: ExportFormat) -> str:
    return {ExportFormat.CSV: ".csv", ExportFormat.XLSX: ".xlsx", ExportFormat.JSON: ".json"}[fmt]


class UnreadableFileError(InvalidInputError):
    code = "file_unreadable"


def read_rows(path: Path) -> Iterator[list[str]]:
    """A catalog file read back: the header row, then each data row, as strings."""
    fmt = _format_of(path)
    try:
        if fmt is ExportFormat.CSV:
            yield from _csv_rows(path)
        elif fmt is ExportFormat.JSON:
            yield from _json_rows(path)
        else:
            yield from _xlsx_rows(path)
    # ValueError: undecodable text, broken JSON; BadZipFile: a truncated or false XLSX.
    except (ValueError, csv.Error, OSError, KeyError, zipfile.BadZipFile) as error:
        raise UnreadableFileError(
            f"无法读取 {path.name}：{error} / cannot read {path.name}"
        ) from error


def _format_of(path: Path) -> ExportFormat:
    for fmt in ExportFormat:
        if path.suffix.lower() == suffix(fmt):
            return fmt
    raise UnreadableFileError(
        f"不支持的文件类型 {path.suffix or '(无)'}，应为 .csv、.xlsx 或 .json"
        f" / unsupported file type {path.suffix or '(none)'}"
    )


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding=_csv_encoding(path), newline="") as handle:
        yield from csv.reader(handle)


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without its BOM) when the file's start reads as UTF-8, else GB18030."""
    with path.open("rb") as probe:
        head = probe.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _json_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8-sig") as handle:
        items = json.load(handle)  # validation of a returned or hand-edited file: bounded
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise json.JSONDecodeError("应为对象数组 / expected an array of objects", "", 0)
    headers: list[str] = list(items[0]) if items else []
    yield headers
    for item in items:
        yield [str(item.get(name, "") if item.get(name) is not None else "") for name in headers]


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield ["" if v is None else str(v) for v in values]
    finally:
        book.close()
