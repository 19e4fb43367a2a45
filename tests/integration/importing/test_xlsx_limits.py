"""XLSX files that inflate: shared strings or sheets far larger than the file, parts that lie
about their size, millions of rows, cells openpyxl cannot convert. Each is refused before it
costs memory or time without end, with the reason; blank rows are skipped, not rejected; large
packages are read in a worker process whose memory goes back to the system."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from tests.integration.importing.test_hostile_files import audit_actions, last_run, load
from tests.integration.importing.test_import import HUAWEI, XIAOMI, count
from utilcredit.customers.tables import SubjectRow
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.readers import xlsx

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def inline(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">' + "".join(cells) + "</row>"


HEADER_ROW = row(1, inline("A1", "code"), inline("B1", "kind"), inline("C1", "name"))


def subject_row(number: int, code: str, name: str) -> str:
    return row(
        number,
        inline(f"A{number}", code),
        inline(f"B{number}", "legal"),
        inline(f"C{number}", name),
    )


def package(path: Path, rows: Iterable[str], shared: Iterable[str] = ()) -> Path:
    """A minimal XLSX written part by part (so huge parts cost no memory here)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>'.encode())
            for text in shared:
                part.write(f"<si><t>{text}</t></si>".encode())
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode()
            )
            for xml in rows:
                part.write(xml.encode())
            part.write(b"</sheetData></worksheet>")
    return path


def test_shared_strings_past_the_limit_refuse_the_file_before_parsing(
    engine: Engine, tmp_path: Path
) -> None:
    big = "x" * 1000
    path = package(
        tmp_path / "subjects.xlsx",
        [HEADER_ROW, subject_row(2, HUAWEI, "Huawei")],
        (big for _ in range(3000)),  # 3 MB of strings, a few kilobytes compressed
    )
    assert path.stat().st_size < 100_000
    (report,) = load(engine, path, limits=ImportLimits(xlsx_max_shared_strings_bytes=1 << 20))
    assert report.error is not None
    assert "xl/sharedStrings.xml of the XLSX file inflates to more than 1048576 bytes" in (
        report.error
    )
    assert count(engine, SubjectRow) == 0
    assert last_run(engine)[0] == "failed"
    assert [action for action, _, _ in audit_actions(engine)] == ["import_failed"]


def test_a_package_inflating_past_the_limit_is_refused(engine: Engine, tmp_path: Path) -> None:
    rows = [HEADER_ROW, subject_row(2, HUAWEI, "Huawei")]
    rows += [row(n, inline(f"D{n}", "y" * 500)) for n in range(3, 5000)]
    path = package(tmp_path / "subjects.xlsx", rows)
    (report,) = load(engine, path, limits=ImportLimits(xlsx_max_bytes=1 << 20))
    assert report.error is not None and "inflates to more than 1048576 bytes" in report.error
    assert count(engine, SubjectRow) == 0


def _declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite a member's uncompressed size in the central directory (a lying package)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.rfind(b"PK\x01\x02")  # central directory records, from the last one
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return
        at = data.rfind(b"PK\x01\x02", 0, at)
    raise AssertionError(f"{member} not found")


def test_a_part_inflating_past_its_declared_size_fails_cleanly(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "subjects.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        strings = "".join(f"<si><t>{'z' * 1000}</t></si>" for _ in range(2000))
        archive.writestr("xl/sharedStrings.xml", f"<sst {NS}>{strings}</sst>")
        sheet = HEADER_ROW + subject_row(2, HUAWEI, "Huawei")
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f"<worksheet {NS}><sheetData>{sheet}</sheetData></worksheet>",
        )
    _declare_size(path, "xl/sharedStrings.xml", 1000)  # 2 MB claims to be 1 kB
    (report,) = load(engine, path, limits=ImportLimits(xlsx_max_shared_strings_bytes=1 << 20))
    assert report.error is not None and "cannot read the XLSX file" in report.error
    assert count(engine, SubjectRow) == 0 and last_run(engine)[0] == "failed"
    assert [action for action, _, _ in audit_actions(engine)] == ["import_failed"]


def test_blank_rows_are_skipped_and_a_sheet_past_excels_rows_is_refused(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blank = [row(n, f'<c r="A{n}" t="s"><v>0</v></c>', inline(f"B{n}", "  ")) for n in range(3, 40)]
    rows = [HEADER_ROW, subject_row(2, HUAWEI, "Huawei"), *blank, subject_row(40, XIAOMI, "Mi")]
    path = package(tmp_path / "subjects.xlsx", rows, shared=[" "])
    (report,) = load(engine, path)
    assert report.result is not None and report.result.inserted == 2
    assert report.rejects == [] and report.result.rows_read == 2

    monkeypatch.setattr(xlsx, "XLSX_MAX_SHEET_ROWS", 30)  # Excel's 1,048,576, scaled down
    (again,) = load(engine, path)
    assert again.error is not None and "more than 30 rows" in again.error
    # rows far below the last one: openpyxl fills the gap with empty rows, which count
    far = package(tmp_path / "subjects_far.xlsx", [HEADER_ROW, subject_row(10**9, XIAOMI, "x")])
    (gap,) = load(engine, far)
    assert gap.error is not None and "more than 30 rows" in gap.error


def test_a_number_openpyxl_cannot_convert_fails_the_file_cleanly(
    engine: Engine, tmp_path: Path
) -> None:
    cells = [inline("A2", HUAWEI), inline("B2", "legal"), f'<c r="C2"><v>{"9" * 5000}</v></c>']
    path = package(tmp_path / "subjects.xlsx", [HEADER_ROW, row(2, *cells)])
    (report,) = load(engine, path)
    assert report.error is not None and "cannot read the XLSX sheet near row 2" in report.error
    assert last_run(engine)[0] == "failed"


def test_not_a_zip_is_a_reject(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "subjects.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    (report,) = load(engine, path)
    assert report.error is not None and "XLSX" in report.error
    assert [action for action, _, _ in audit_actions(engine)] == ["import_failed"]


@pytest.mark.parametrize("in_worker", [False, True])
def test_large_packages_are_read_in_a_worker_with_the_same_outcome(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_worker: bool
) -> None:
    monkeypatch.setattr(xlsx, "XLSX_WORKER_MIN_BYTES", 0 if in_worker else 1 << 40)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "kind", "name"])
    sheet.append([HUAWEI, "legal", "华为"])
    for n in range(3000):  # more than one batch of the worker
        sheet.append([f"BAD{n}", "legal", "x"])
    sheet.append([XIAOMI, "法人", "小米"])
    workbook.save(tmp_path / "subjects.xlsx")
    (report,) = load(engine, tmp_path / "subjects.xlsx")
    assert report.result is not None and report.result.inserted == 2
    assert report.result.rows_read == 3002 and len(report.rejects) == 3000
    assert report.rejects[0].row == 3 and report.rejects[-1].row == 3002

    monkeypatch.setattr(xlsx, "XLSX_MAX_SHEET_ROWS", 100)
    (refused,) = load(engine, tmp_path / "subjects.xlsx")
    assert refused.error is not None and "more than 100 rows" in refused.error
