"""The platform's returned-error file (退回错误文件), read strictly. Pure: bytes in, errors out.

The file is CSV in UTF-8 (with or without a BOM) or GB18030, header ``行号,错误代码,错误信息``
(or ``row,error_code,message``), one line per error: the data row of the batch's file it names
(counted from 1, as ``keys.txt`` counts), the platform's error code and its message. One row
may have several errors; the same row and code twice is one error with both messages.

Anything doubtful refuses the whole file, so that a file read in part never flags part of a
batch: bytes that are neither UTF-8 nor GB18030 (or UTF-16, which a spreadsheet may write), a
header that is not the one above, a line with too few or too many fields, a row reference
that is not a whole number, an empty error code, and a file cut short — an unterminated quote,
a last line without its line end (every CSV writer ends each line), or fewer lines than the
platform's answer announced.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from utilcredit.errors import FieldInvalidError

HEADERS = (("行号", "错误代码", "错误信息"), ("row", "error_code", "message"))
MESSAGE_MAX = 500
CODE_MAX = 32


class ReturnedFileError(FieldInvalidError):
    code = "returned_file_invalid"

    def __init__(self, message: str) -> None:
        super().__init__("file", message)


@dataclass(frozen=True, slots=True)
class ReturnedError:
    row: int
    code: str
    message: str


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), else GB18030; anything else is refused."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw:
        raise ReturnedFileError(
            "退回文件编码错误：应为 UTF-8 或 GB18030，不是 UTF-16 / wrong encoding: the file"
            " must be UTF-8 or GB18030, not UTF-16"
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":  # cut inside the last character
            raise _truncated() from error
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as failed:
        if failed.end == len(raw) and failed.start >= len(raw) - 3:  # a character cut short
            raise _truncated() from failed
        raise _wrong_encoding(failed) from failed


def _truncated() -> ReturnedFileError:
    return ReturnedFileError(
        "退回文件不完整：最后一行没有结束符（文件被截断？） / the file is truncated: its"
        " last line has no line end"
    )


def _wrong_encoding(failed: UnicodeDecodeError) -> ReturnedFileError:
    return ReturnedFileError(
        f"退回文件编码错误：第 {failed.start} 字节起既不是 UTF-8 也不是 GB18030 / wrong"
        f" encoding: byte {failed.start} on is neither UTF-8 nor GB18030"
    )


def parse(raw: bytes, *, expected: int | None = None) -> list[ReturnedError]:
    """Every error of the file in its order (merged per row and code); ``expected``: the
    number of lines the platform announced, when it did."""
    text = decode(raw)
    if not text.strip():
        raise ReturnedFileError("退回文件为空（或被截断） / the file is empty (or truncated)")
    if not text.endswith(("\n", "\r")):
        raise _truncated()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        lines = [line for line in reader if any(cell.strip() for cell in line)]
    except csv.Error as error:
        raise ReturnedFileError(
            f"退回文件不完整或格式错误：第 {reader.line_num} 行 {error} / the file is truncated"
            f" or malformed at line {reader.line_num}: {error}"
        ) from error
    header, *body = lines
    if tuple(cell.strip().lower() for cell in header) not in HEADERS:
        raise ReturnedFileError(
            f"退回文件表头应为「{','.join(HEADERS[0])}」，实为「{','.join(header)}」（编码错误？）"
            f" / the header must be {','.join(HEADERS[1])} (wrong encoding?)"
        )
    if expected is not None and len(body) != expected:
        raise ReturnedFileError(
            f"退回文件不完整：平台称有 {expected} 条错误，文件中有 {len(body)} 条 / the file is"
            f" truncated: the platform announced {expected} errors, the file has {len(body)}"
        )
    return _merged([_error(number, line) for number, line in enumerate(body, start=2)])


def _error(line_no: int, line: list[str]) -> ReturnedError:
    where = f"退回文件第 {line_no} 行 / line {line_no}"
    if len(line) != 3:
        raise ReturnedFileError(
            f"{where}：应有 3 列，实有 {len(line)} 列（文件被截断？） / expected 3 fields, got"
            f" {len(line)} (truncated?)"
        )
    row, code, message = (cell.strip() for cell in line)
    if not row.isdigit() or int(row) < 1:
        raise ReturnedFileError(
            f"{where}：行号「{row}」应为正整数 / the row reference {row!r} is not a row number"
        )
    if not code or len(code) > CODE_MAX:
        raise ReturnedFileError(
            f"{where}：错误代码为空或超过 {CODE_MAX} 个字符 / the error code is empty or too long"
        )
    return ReturnedError(int(row), code, message)


def _merged(errors: list[ReturnedError]) -> list[ReturnedError]:
    merged: dict[tuple[int, str], ReturnedError] = {}
    for error in errors:
        known = merged.get((error.row, error.code))
        if known is not None and error.message not in known.message.split("；"):
            error = ReturnedError(error.row, error.code, f"{known.message}；{error.message}")
        elif known is not None:
            continue
        merged[(error.row, error.code)] = ReturnedError(
            error.row, error.code, error.message[:MESSAGE_MAX]
        )
    return list(merged.values())
