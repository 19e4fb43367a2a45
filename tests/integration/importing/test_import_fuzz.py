"""The importer against arbitrary files, on SQLite and PostgreSQL (hypothesis).

Whatever the bytes, encoding, field sizes and numbers: the import never raises; a file's rows
and its run commit together or not at all (the tables grow by exactly what the run reports,
or not at all when it failed); every row read is either stored or rejected with a reason;
every run ends ``done`` or ``failed`` and is audited.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from tests.integration.importing.test_import import ACCOUNTS, HUAWEI, SUBJECTS, XIAOMI, write_csv
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.tables import BillRow, SubjectRow
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.repository import runs
from utilcredit.importing.runner import import_paths
from utilcredit.importing.tables import ImportRunRow

COLUMNS = {
    "subjects": ["code", "kind", "name", "id_type", "phone"],
    "bills": ["bill_no", "account_no", "period_start", "period_end", "usage", "amount", "due_on"],
}
TABLES = {"subjects": SubjectRow, "bills": BillRow}
LIMITS = ImportLimits(max_rejects=25, max_line_bytes=1 << 20, max_rows=40)
_numbering = itertools.count()

plain = {
    "code": st.sampled_from([HUAWEI, XIAOMI, "11010519491231002X", "914403001922038217"]),
    "kind": st.sampled_from(["legal", "natural", "法人", "x"]),
    "name": st.sampled_from(["华为技术有限公司", "小米", "=1+2", "@x"]),
    "id_type": st.sampled_from(["", "身份证", "港澳居民来往内地通行证"]),
    "phone": st.sampled_from(["", "0755-28780808", "+86 138 0013 8000", "abc"]),
    "bill_no": st.from_regex(r"B\d{1,3}", fullmatch=True),
    "account_no": st.sampled_from(["W001", "P001", "W999"]),
    "period_start": st.sampled_from(["2026-01-01", "2026/1/1", "20260101"]),
    "period_end": st.sampled_from(["2026-01-31", "2025-12-31", "2026-02-30"]),
    "usage": st.sampled_from(["120.5", "0", "1.0005", ""]),
    "amount": st.sampled_from(["512.13", "0.1", "1,234.50", "-1"]),
    "due_on": st.sampled_from(["2026-02-15", "2026年2月15日"]),
}
numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e400", "99999999999999999999", "9" * 5000, "1E+15", "-0", "1e-400"]),
    st.from_regex(r"-?\d{1,20}(\.\d{0,5})?", fullmatch=True),
)
sizes = st.sampled_from([0, 1, 64, 4096, 4097, 150_000]).map(lambda n: "x" * n)
cells = st.one_of(st.text(max_size=20), numbers, sizes, st.just(""))


@st.composite
def table(draw: st.DrawFn, kind: str) -> list[list[str]]:
    columns = COLUMNS[kind]
    header = draw(st.permutations(columns))
    if draw(st.booleans()):  # a column missing or unknown
        header = header[: draw(st.integers(1, len(header)))] + draw(st.lists(cells, max_size=2))
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(st.one_of(plain[name], cells) if name in plain else cells) for name in header]
        rows.append(row)
    return [list(header), *rows]


def as_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


@st.composite
def hostile_file(draw: st.DrawFn) -> tuple[str, str, bytes]:
    kind = draw(st.sampled_from(sorted(COLUMNS)))
    rows = draw(table(kind))
    file_format = draw(st.sampled_from(["csv", "jsonl", "xlsx"]))
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append([_printable(cell) for cell in rows[0]])
        for row in rows[1:]:
            sheet.append([_xlsx_value(draw, cell) for cell in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    elif file_format == "jsonl":
        lines = []
        for row in rows[1:]:
            document: dict[str, Any] = {}
            for name, cell in zip(rows[0], row, strict=False):
                document[name] = draw(
                    st.sampled_from(
                        [cell, None, ["x"], _number(cell), True] if cell else [cell, None]
                    )
                )
            lines.append(json.dumps(document, ensure_ascii=draw(st.booleans()), default=str))
        lines += draw(st.lists(st.sampled_from(["{", "[]", "[" * 5000, "null", "{}"]), max_size=2))
        content = _encode(draw, "\n".join(lines) + "\n")
    else:
        content = _encode(draw, as_csv(rows))
    return kind, file_format, _damage(draw, content)


def _printable(cell: str) -> str:
    """What a worksheet can hold (openpyxl refuses control characters, as Excel does)."""
    return "".join(ch for ch in cell if ch.isprintable())[:32_000]


def _xlsx_value(draw: st.DrawFn, cell: str) -> object:
    cleaned = _printable(cell)
    return draw(st.sampled_from([cleaned, _number(cleaned), None]))


def _number(cell: str) -> object:
    try:
        number = Decimal(cell)
    except Exception:
        return cell
    return float(number) if number.is_finite() and abs(number) < Decimal("1e300") else cell


def _encode(draw: st.DrawFn, text: str) -> bytes:
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "gb18030", "gb18030", "utf-16", "latin-1"])
    )
    return text.encode(encoding, errors="replace")


def _damage(draw: st.DrawFn, content: bytes) -> bytes:
    how = draw(st.sampled_from(["none"] * 5 + ["insert", "insert", "truncate", "long line"]))
    if how == "insert":
        at = draw(st.integers(0, len(content)))
        return content[:at] + draw(st.binary(min_size=1, max_size=40)) + content[at:]
    if how == "truncate":
        return content[: draw(st.integers(0, len(content)))]
    if how == "long line":
        return content + b"y" * (LIMITS.max_line_bytes + 10)
    return content


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            kind: int(connection.execute(select(func.count()).select_from(row)).scalar_one())
            for kind, row in TABLES.items()
        }


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(case=hostile_file())
def test_any_file_is_imported_whole_or_not_at_all_with_every_reject_explained(
    engine: Engine, tmp_path: Path, case: tuple[str, str, bytes]
) -> None:
    kind, file_format, content = case
    if not _counts(engine)["subjects"]:  # parents for the bills, once per test
        folder = tmp_path / "base"
        folder.mkdir(exist_ok=True)
        write_csv(folder / "subjects.csv", SUBJECTS)
        write_csv(folder / "accounts.csv", ACCOUNTS)
        assert all(
            r.result and not r.rejects for r in import_paths(engine, [folder], actor="t").files
        )
    path = tmp_path / f"{kind}_{next(_numbering)}.{file_format}"
    path.write_bytes(content)
    before = _counts(engine)

    (report,) = import_paths(engine, [path], actor="fuzz", limits=LIMITS).files  # never raises

    after = _counts(engine)
    event(f"{file_format}: {'imported' if report.result else 'refused'}")
    with engine.connect() as connection:
        run = connection.execute(
            select(ImportRunRow.status, ImportRunRow.error, ImportRunRow.rows_read).where(
                ImportRunRow.id == (report.run_id or 0)
            )
        ).first()
        audited = (
            connection.execute(
                select(AuditEntryRow.action)
                .where(AuditEntryRow.actor == "fuzz")
                .order_by(AuditEntryRow.id)
            )
            .scalars()
            .all()
        )
        stored_rejects = runs.rejects_of(connection, report.run_id or 0)
    assert all(reject.reason for reject in report.rejects)
    assert all(reason for *_, reason in stored_rejects)
    if report.result is None:
        assert report.error
        assert after == before  # nothing of a failed file
        assert run is None or (run.status, run.error) == ("failed", report.error[:4000])
        assert audited[-1] == "import_failed"
    else:
        result = report.result
        assert run is not None and run.status == "done" and run.rows_read == result.rows_read
        assert after[kind] - before[kind] == result.inserted
        assert {k: v for k, v in after.items() if k != kind} == {
            k: v for k, v in before.items() if k != kind
        }
        stored = result.inserted + result.updated + result.unchanged
        assert min(result.inserted, result.updated, result.unchanged) >= 0
        assert stored + result.rejected_rows == result.rows_read
        assert len(stored_rejects) == len(result.rejects)
        assert audited[-1] == "import"
