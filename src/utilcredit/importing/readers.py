"""Read canonical files (CSV in UTF-8 / UTF-8-BOM / GB18030, XLSX, JSON Lines) as raw rows.

A reader yields ``(row_number, cells)``; :class:`Header` says which cell holds which field.
Row numbers are the ones a person sees in the file (the header is row 1; JSON Lines count
lines from 1). A row that cannot be read at all is a :class:`BrokenRow`.

Files are untrusted (see :mod:`.limits`). A text file is scanned once before it is read: the
encoding is the one it decodes in (UTF-8, else GB18030; when neither decodes every byte, the
one with fewer bad bytes), and a file with bad bytes or NUL characters is read with the bad
bytes kept as lone surrogates, so the rows holding them are rejected one by one while the
others load. A header that does not decode, a UTF-16/32 file and a line longer than
``max_line_bytes`` refuse the file. XLSX packages are checked against their declared sizes
before openpyxl (read-only mode) parses anything.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import multiprocessing
import pickle
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
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
from utilcredit.importing.limits import DEFAULT_LIMITS, XLSX_MAX_SHEET_ROWS, ImportLimits

Progress = Callable[[int], None]
Cells = Sequence[Any]
RawRow = tuple[int, "Cells | BrokenRow"]

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_CHUNK = 1 << 20

# Columns of an XLSX sheet that are read (the kinds have at most 8 fields; wider exports keep
# their fields in the first columns). Bounds the width of every row openpyxl builds.
XLSX_MAX_COLUMNS = 256
# Parts of an XLSX package openpyxl parses whole into a tree (workbook, styles, theme,
# relationships …): a real one is well under a megabyte.
XLSX_MAX_OTHER_PART_BYTES = 16 * 1024 * 1024
# Packages whose worksheets and shared strings inflate to more than this are read in a forked
# worker: what openpyxl holds (the shared strings, and the parse tree of the sheet, which
# keeps ~100 bytes per row it has read) goes back to the operating system when it exits.
XLSX_WORKER_MIN_BYTES = 8 * 1024 * 1024
_XLSX_BATCH_ROWS = 2000

_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a bad byte


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    kind: str
    file_format: str
    size: int
    sha256: str
    encoding: str | None = None
    # Text files: every byte decodes in ``encoding`` and none is NUL (the fast CSV path may
    # take the rows); else rows are checked one by one.
    clean: bool = True
    # Why the file cannot be read as text at all (e.g. UTF-16); raised when it is opened.
    encoding_problem: str | None = None


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


def send_error(send: Connection, error: BaseException) -> None:
    """Hand a worker process's failure to its parent: the exception itself when it survives
    pickling, else its type and message (an exception whose arguments do not unpickle would
    otherwise fail in the parent)."""
    try:
        payload = pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)
    except Exception:
        payload = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
    send.send_bytes(payload)


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
    """Identify kind, format and (for text) encoding, and fingerprint the content."""
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path} / no such file: {path}")
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise ImportFileError(
            f"不支持的文件格式：{path.suffix}（支持 CSV、XLSX、JSONL） / unsupported format {path.suffix} (CSV, XLSX, JSONL)"
        )
    kind = kind_of(path)
    scan = _scan(path, text=file_format in ("csv", "jsonl"))
    return SourceFile(
        path,
        kind,
        file_format,
        path.stat().st_size,
        scan.sha256,
        scan.encoding,
        scan.clean,
        scan.problem,
    )


@dataclass(frozen=True, slots=True)
class _Scan:
    sha256: str
    encoding: str | None = None
    clean: bool = True
    problem: str | None = None


def _scan(path: Path, *, text: bool) -> _Scan:
    """One pass over the bytes: SHA-256 and, for text, whether they are valid UTF-8 (with a
    BOM?) and hold a NUL. Files that are not UTF-8 take a second pass (GB18030), and files
    valid in neither a third (which of the two has fewer bad bytes)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = text
    has_nul = False
    with path.open("rb") as handle:
        first = handle.read(_CHUNK)
        chunk = first
        while chunk:
            digest.update(chunk)
            if text and not has_nul and b"\x00" in chunk:
                has_nul = True
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            chunk = handle.read(_CHUNK)
    sha256 = digest.hexdigest()
    if not text:
        return _Scan(sha256)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    has_bom = first.startswith(codecs.BOM_UTF8)
    if not has_bom and first.startswith(_UTF16_32_BOMS):
        return _Scan(
            sha256,
            problem=f"不支持UTF-16/UTF-32编码的文件，请另存为{ACCEPTED_ENCODINGS_ZH} / UTF-16 "
            f"and UTF-32 files are not accepted: save the file as {ACCEPTED_ENCODINGS_EN}",
        )
    if utf8_ok or has_bom:
        return _Scan(sha256, "utf-8-sig" if has_bom else "utf-8", utf8_ok and not has_nul)
    if _decodes(path, "gb18030"):
        return _Scan(sha256, "gb18030", not has_nul)
    utf8_bad, gb_bad = _bad_bytes(path, "utf-8"), _bad_bytes(path, "gb18030")
    return _Scan(sha256, "utf-8" if utf8_bad <= gb_bad else "gb18030", False)


def _decodes(path: Path, encoding: str) -> bool:
    """Whether every byte of the file decodes in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bad_bytes(path: Path, encoding: str) -> int:
    """How many bytes of the file do not decode in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)("surrogateescape")
    bad = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            decoded = decoder.decode(chunk, final=not chunk)
            if not decoded.isascii():
                bad += len(_ESCAPED_BYTE.findall(decoded))
            if not chunk:
                return bad


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
            ignored.append(brief(name, 100))
        else:
            index_of[canonical] = index
    missing = [name for name in spec.required if name not in index_of]
    if missing:
        raise ImportFileError(
            f"缺少必填列：{', '.join(missing)} / missing required columns: {', '.join(missing)}"
        )
    return Header(index_of, ignored)


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


def read_rows(
    source: SourceFile, progress: Progress | None = None, limits: ImportLimits = DEFAULT_LIMITS
) -> tuple[Header, Iterator[RawRow]]:
    spec = KINDS[source.kind]
    if source.file_format == "xlsx":
        return _read_xlsx(source, spec, progress, limits)
    if source.file_format == "jsonl":
        return Header.in_field_order(spec), _read_jsonl(source, spec, progress, limits)
    return _read_csv(source, progress, limits)


def _open_text(source: SourceFile, progress: Progress | None, limits: ImportLimits) -> IO[str]:
    if source.encoding_problem:
        raise ImportFileError(source.encoding_problem)
    raw = source.path.open("rb")
    guarded = _GuardedReader(raw, progress, limits.max_line_bytes)
    buffered = io.BufferedReader(guarded, buffer_size=_CHUNK)
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


def _read_csv(
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


def _read_jsonl(
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


def check_xlsx_package(archive: zipfile.ZipFile, limits: ImportLimits) -> int:
    """Refuse a package whose parts would inflate past the limits, before parsing any of it;
    returns the inflated size of its worksheets and shared strings.

    The sizes are the ones the package declares; :mod:`zipfile` never inflates a member past
    its declared size (more data fails the member's CRC check), so they bound what openpyxl
    gets. Worksheets are streamed (only their total counts); the shared strings are held in
    memory; every other part is parsed whole, so it is held to a small size.
    """
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS, WORKSHEET_TYPE
    from openpyxl.xml.functions import fromstring

    infos = {info.filename: info for info in archive.infolist()}
    for info in infos.values():
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ImportFileError(
                f"XLSX文件使用了不支持的压缩方式：{brief(info.filename, 80)} / the XLSX file uses "
                f"an unsupported compression method: {brief(info.filename, 80)}"
            )
    manifest_info = infos.get(ARC_CONTENT_TYPES)
    if manifest_info is None:
        raise ImportFileError(
            "不是有效的XLSX文件（缺少[Content_Types].xml） / not a valid XLSX file "
            "(no [Content_Types].xml)"
        )
    _check_part(manifest_info, XLSX_MAX_OTHER_PART_BYTES)
    manifest: Any = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))  # type: ignore[arg-type]
    types: dict[str, set[str]] = {}
    for override in manifest.Override:
        types.setdefault(str(override.PartName).lstrip("/"), set()).add(str(override.ContentType))
    total = streamed = 0
    for name, info in infos.items():
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue  # pictures and the like: openpyxl's read-only mode does not read them
        total += info.file_size
        content = types.get(name, set())
        if content == {WORKSHEET_TYPE} and not name.lower().endswith(".rels"):
            streamed += info.file_size
            continue
        if SHARED_STRINGS in content:
            streamed += info.file_size
        limit = (
            limits.xlsx_max_shared_strings_bytes
            if SHARED_STRINGS in content
            else XLSX_MAX_OTHER_PART_BYTES
        )
        _check_part(info, limit)
    if total > limits.xlsx_max_bytes:
        raise ImportFileError(
            f"XLSX文件解压后超过{limits.xlsx_max_bytes}字节，未导入 / the XLSX file inflates "
            f"to more than {limits.xlsx_max_bytes} bytes and was not imported "
            "(UTILCREDIT_IMPORT_XLSX_MAX_BYTES)"
        )
    return streamed


def _check_part(info: zipfile.ZipInfo, limit: int) -> None:
    if info.file_size > limit:
        name = brief(info.filename, 80)
        raise ImportFileError(
            f"XLSX文件的{name}解压后超过{limit}字节，未导入 / {name} of the XLSX file inflates "
            f"to more than {limit} bytes and was not imported"
        )


def _xlsx_error(error: Exception) -> ImportFileError:
    message = brief(f"{type(error).__name__}: {error}", 200)
    return ImportFileError(f"无法读取XLSX文件：{message} / cannot read the XLSX file: {message}")


def _read_xlsx(
    source: SourceFile, spec: KindSpec, progress: Progress | None, limits: ImportLimits
) -> tuple[Header, Iterator[RawRow]]:
    try:
        with zipfile.ZipFile(source.path) as archive:
            streamed = check_xlsx_package(archive, limits)
    except ImportFileError:
        raise
    except Exception as error:  # not a zip at all, a damaged directory …
        raise _xlsx_error(error) from error
    if streamed >= XLSX_WORKER_MIN_BYTES and _can_fork():
        return _xlsx_in_worker(source, spec, progress, limits)
    return _xlsx_here(source, spec, progress, limits)


def _can_fork() -> bool:
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _xlsx_in_worker(
    source: SourceFile, spec: KindSpec, progress: Progress | None, limits: ImportLimits
) -> tuple[Header, Iterator[RawRow]]:
    """:func:`_xlsx_here` in a forked worker that sends the header, then batches of raw rows;
    any error it meets is raised here. The worker touches no database connection."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def work() -> None:
        receive.close()
        try:
            header, rows = _xlsx_here(source, spec, None, limits)
            send.send_bytes(pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL))
            batch: list[RawRow] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= _XLSX_BATCH_ROWS:
                    send.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
                    batch = []
            send.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
            send.send_bytes(pickle.dumps(None))
        except BaseException as error:
            send_error(send, error)
        finally:
            send.close()

    process = context.Process(target=work, name="utilcredit-xlsx-reader", daemon=True)
    process.start()
    send.close()

    def receive_message() -> Any:
        try:
            message = pickle.loads(receive.recv_bytes())
        except EOFError:
            raise ImportFileError(
                "XLSX读取进程意外退出 / the XLSX reader stopped unexpectedly"
            ) from None
        if isinstance(message, BaseException):
            raise message
        return message

    def stop(finished: bool) -> None:
        if finished:
            process.join(timeout=10)
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()

    try:
        header = receive_message()
    except BaseException:
        stop(False)
        raise
    assert isinstance(header, Header)

    def rows() -> Iterator[RawRow]:
        finished = False
        try:
            while (batch := receive_message()) is not None:
                if progress:
                    progress(len(batch))
                yield from batch
            finished = True
        finally:
            stop(finished)

    return header, rows()


def _xlsx_here(
    source: SourceFile, spec: KindSpec, progress: Progress | None, limits: ImportLimits
) -> tuple[Header, Iterator[RawRow]]:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    handle = source.path.open("rb")
    try:
        try:
            with zipfile.ZipFile(handle) as archive:
                check_xlsx_package(archive, limits)
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except ImportFileError:
            raise
        except Exception as error:  # zipfile and openpyxl raise many types for a damaged file
            raise _xlsx_error(error) from error
    except BaseException:
        handle.close()
        raise

    def close() -> None:
        workbook.close()
        handle.close()

    try:
        if not workbook.worksheets:
            raise ImportFileError("XLSX文件没有工作表 / the XLSX file has no worksheet")
        sheet: Any = workbook.worksheets[0]
        sheet.reset_dimensions()  # trust the cells, not the declared size of the sheet
        first = sheet.iter_rows(min_row=1, max_row=1, max_col=XLSX_MAX_COLUMNS, values_only=True)
        values = next(first, None)
        first.close()
        names = [str(value) if value is not None else "" for value in values or ()]
        while names and not names[-1].strip():
            names.pop()
        if not names:
            raise ImportFileError("工作表为空，没有表头 / the sheet is empty (no header row)")
        header = map_header(spec, names)
    except BaseException as error:
        close()
        if isinstance(error, Exception) and not isinstance(error, ImportFileError):
            raise _xlsx_error(error) from error
        raise
    width = len(names)

    def rows() -> Iterator[RawRow]:
        row_number, read = 1, 0
        try:
            cells = sheet.iter_rows(min_row=2, max_col=width, values_only=True)
            for row_number, values in enumerate(cells, start=2):
                if row_number > XLSX_MAX_SHEET_ROWS:
                    raise ImportFileError(
                        f"工作表超过{XLSX_MAX_SHEET_ROWS}行（Excel的上限），未导入 / the sheet has "
                        f"more than {XLSX_MAX_SHEET_ROWS} rows (Excel's limit) and was not imported"
                    )
                if progress:
                    progress(1)
                if any(_filled(value) for value in values):
                    read += 1
                    limits.check_rows(read)
                    yield row_number, [_xlsx_cell(value) for value in values]
        except ImportFileError:
            raise
        except Exception as error:  # a damaged part, a cell openpyxl cannot convert …
            message = brief(f"{type(error).__name__}: {error}", 200)
            raise ImportFileError(
                f"无法读取XLSX工作表第{row_number + 1}行附近：{message} / cannot read the XLSX "
                f"sheet near row {row_number + 1}: {message}"
            ) from error
        finally:
            close()

    return header, rows()


def _filled(value: Any) -> bool:
    """A cell that holds something: blank and white-space cells make an empty row."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _xlsx_cell(value: Any) -> Any:
    """Spreadsheet numbers arrive as float; go through their shortest repr, never binary."""
    if isinstance(value, float):
        return Decimal(repr(value)) if not value.is_integer() else Decimal(int(value))
    return value
