"""CSV and JSON Lines files as raw rows.

A text file is read in the encoding its scan found (:mod:`.source`); one with bad bytes or
NUL characters is read with the bad bytes kept as lone surrogates, so the rows holding them
are rejected one by one while the others load. A header that does not decode and a line
longer than ``max_line_bytes`` refuse the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import (
    ACCEPTED_ENCODINGS_EN,
    ACCEPTED_ENCODINGS_ZH,
    KINDS,
    KindSpec,
    brief,
    text_problem,
)
from utilcredit.importing.limits import DEFAULT_LIMITS, ImportLimits
from utilcredit.importing.readers.rows import BrokenRow, Header, Progress, RawRow, map_header
from utilcredit.importing.readers.source import CHUNK, SourceFile


class _GuardedReader(io.RawIOBase):
    """A text file's bytes: reports bytes consumed, so a progress bar can follow the stream,
    and refuses a line longer than ``max_line`` bytes before it is held in memory.

    Only the run of bytes since the last line break is tracked, across reads: a line that
    ends within one read is shorter than the read (at most the buffer, 1 MiB here, below
    every allowed ``max_line``), so line breaks inside a read need no scan.
    """

    def __init__(self, raw: IO[bytes], progress: Progress | None, max_line: int) -> None:
        self._raw = raw
        self._progress = progress
        self._max_line = max_line
        self._run = 0  # bytes since the last line break

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        count = len(data)
        if count:
            self._track(data)
        buffer[:count] = data
        if self._progress:
            self._progress(count)
        return count

    def _track(self, data: bytes) -> None:
        last = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if last < 0:
            self._run += len(data)
        else:
            breaks = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
            self._run += min(breaks)
            if self._run <= self._max_line:
                self._run = len(data) - last - 1
        if self._run > self._max_line:
            raise ImportFileError(
                f"文件含有超过{self._max_line}字节的行（不是文本文件？），未导入 / the file has "
                f"a line longer than {self._max_line} bytes (is it a text file?) and was not imported"
            )


def _open_text(source: SourceFile, progress: Progress | None, limits: ImportLimits) -> IO[str]:
    if source.encoding_problem:
        raise ImportFileError(source.encoding_problem)
    raw = source.path.open("rb")
    guarded = _GuardedReader(raw, progress, limits.max_line_bytes)
    buffered = io.BufferedReader(guarded, buffer_size=CHUNK)
    return io.TextIOWrapper(
        buffered,
        encoding=source.encoding or "utf-8",
        errors="strict" if source.clean else "surrogateescape",
        newline="",
    )


@dataclass(slots=True)
class CsvRows:
    """An open CSV file past its header: ``reader`` yields cell lists, ``line_num`` tracks rows.

    ``clean``: the file's bytes all decode and none is NUL, so the fast path may take its rows
    (else every row goes through the reference path, which rejects undecodable cells)."""

    header: Header
    reader: Any  # csv.reader: iterates list[str], has line_num
    handle: IO[str]
    limits: ImportLimits = DEFAULT_LIMITS
    clean: bool = True

    def close(self) -> None:
        self.handle.close()


def csv_error_reason(message: str, max_field_chars: int) -> str:
    """A row the csv module cannot parse, as a reject reason."""
    if "field larger than field limit" in message:
        return f"字段过长（超过{max_field_chars}字符） / a field is longer than {max_field_chars} characters"
    return f"CSV格式错误：{brief(message, 120)} / malformed CSV: {brief(message, 120)}"


def open_csv(
    source: SourceFile, progress: Progress | None = None, limits: ImportLimits = DEFAULT_LIMITS
) -> CsvRows:
    spec = KINDS[source.kind]
    handle = _open_text(source, progress, limits)
    try:
        reader = csv.reader(handle)
        try:
            names = next(reader)
        except StopIteration:
            raise ImportFileError(
                "文件为空，没有表头 / the file is empty (no header row)"
            ) from None
        except csv.Error as error:
            raise ImportFileError(
                f"无法读取表头：{csv_error_reason(str(error), limits.max_field_chars)} / "
                "cannot read the header row"
            ) from None
        if any(text_problem(name) for name in names):
            encoding = source.encoding or "utf-8"
            raise ImportFileError(
                f"表头无法按{encoding}读取（文件编码应为{ACCEPTED_ENCODINGS_ZH}；是否为二进制或"
                f"UTF-16文件？） / the header row is not valid {encoding} text: files must be "
                f"{ACCEPTED_ENCODINGS_EN} (is it a binary or UTF-16 file?)"
            )
        try:
            header = map_header(spec, names)
        except ImportFileError as error:
            if source.clean:
                raise
            zh, _, en = str(error).partition(" / ")
            encoding = source.encoding or "utf-8"
            raise ImportFileError(
                f"{zh}；文件含有无法按{encoding}解码的字节（文件编码应为{ACCEPTED_ENCODINGS_ZH}） / "
                f"{en}; the file holds bytes that are not valid {encoding} (files must be "
                f"{ACCEPTED_ENCODINGS_EN}; is it a binary file?)"
            ) from None
    except BaseException:
        handle.close()
        raise
    header.width = len(names)
    return CsvRows(header, reader, handle, limits, source.clean)


def read_csv(
    source: SourceFile, progress: Progress | None, limits: ImportLimits
) -> tuple[Header, Iterator[RawRow]]:
    """CSV as raw rows (the import itself takes :func:`open_csv` and its generated loop)."""
    opened = open_csv(source, progress, limits)
    reader = opened.reader

    def rows() -> Iterator[RawRow]:
        read = 0
        with opened.handle:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    read += 1
                    limits.check_rows(read)
                    reason = csv_error_reason(str(error), limits.max_field_chars)
                    yield reader.line_num, BrokenRow(reason)
                    continue
                if any(cell.strip() for cell in cells):
                    read += 1
                    limits.check_rows(read)
                    yield reader.line_num, cells

    return opened.header, rows()


def read_jsonl(
    source: SourceFile, spec: KindSpec, progress: Progress | None, limits: ImportLimits
) -> Iterator[RawRow]:
    accepted = spec.header_map()
    order = Header.in_field_order(spec).index_of
    read = 0
    with _open_text(source, progress, limits) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            read += 1
            limits.check_rows(read)
            problem = None if source.clean else text_problem(line)
            if problem:
                yield line_number, BrokenRow(problem)
                continue
            try:
                document = json.loads(line, parse_float=Decimal)
            except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
                message = brief(getattr(error, "msg", None) or str(error) or "?", 120)
                yield line_number, BrokenRow(f"JSON格式错误：{message} / invalid JSON: {message}")
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
