"""XLSX workbooks as raw rows: the first sheet, read by openpyxl in read-only mode.

The package is checked against its declared sizes before openpyxl parses anything; a large
one is read in a forked worker whose memory goes back to the operating system when it exits.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import KindSpec, brief
from utilcredit.importing.limits import XLSX_MAX_SHEET_ROWS, ImportLimits
from utilcredit.importing.readers.rows import Header, Progress, RawRow, map_header
from utilcredit.importing.readers.source import SourceFile
from utilcredit.importing.workers import can_fork, fork_worker

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


def read_xlsx(
    source: SourceFile, spec: KindSpec, progress: Progress | None, limits: ImportLimits
) -> tuple[Header, Iterator[RawRow]]:
    try:
        with zipfile.ZipFile(source.path) as archive:
            streamed = check_xlsx_package(archive, limits)
    except ImportFileError:
        raise
    except Exception as error:  # not a zip at all, a damaged directory …
        raise _xlsx_error(error) from error
    if streamed >= XLSX_WORKER_MIN_BYTES and can_fork():
        return _xlsx_in_worker(source, spec, progress, limits)
    return _xlsx_here(source, spec, progress, limits)


def _xlsx_in_worker(
    source: SourceFile, spec: KindSpec, progress: Progress | None, limits: ImportLimits
) -> tuple[Header, Iterator[RawRow]]:
    """:func:`_xlsx_here` in a forked worker that sends the header, then batches of raw rows;
    any error it meets is raised here. The worker touches no database connection."""

    def work(send: Callable[[Any], None]) -> None:
        header, rows = _xlsx_here(source, spec, None, limits)
        send(header)
        batch: list[RawRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _XLSX_BATCH_ROWS:
                send(batch)
                batch = []
        send(batch)
        send(None)

    worker = fork_worker(work, "utilcredit-xlsx-reader")

    def receive_message() -> Any:
        try:
            return worker.next_message()
        except EOFError:
            raise ImportFileError(
                "XLSX读取进程意外退出 / the XLSX reader stopped unexpectedly"
            ) from None

    try:
        header = receive_message()
    except BaseException:
        worker.stop(finished=False)
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
            worker.stop(finished)

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
