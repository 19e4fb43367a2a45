"""Exports of a small credit file, compared column by column with the catalog's data items,
in every format, full and incremental; invalid rows stay out; a failed export leaves nothing.
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, update

from tests.integration.exchange.world import (
    AS_OF,
    COMPANY,
    POWER_UNIT,
    RESIDENT,
    UNITS,
    WATER_UNIT,
    build,
)
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import PaymentRow, SubjectRow
from utilcredit.errors import ConflictError
from utilcredit.exchange import repository, service, sources
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.files import read_rows
from utilcredit.exchange.model import Batch, BatchStatus, Encoding, ExportFormat
from utilcredit.exchange.service import ExportRequest
from utilcredit.exchange.tables import ExchangeBatchRow
from utilcredit.localtime import today
from utilcredit.workflow import TransitionRefusedError

COMPANY_NAME = "湛江示范实业有限公司"

# The day the record last changed: the day the test built it, read when the test runs (the
# module may be collected before midnight in Shanghai and the test run after it).
TODAY = "<today>"

EXPECTED = {
    "payments": [
        [
            COMPANY_NAME,
            COMPANY,
            "电费",
            "否",
            "2026-09-01",
            "2026-09-30",
            "1261.5",
            "kWh",
            "974.25",
            *POWER_UNIT,
            "2026-10-14",
        ]
    ],
    "payments-natural": [
        [
            "李四",
            "居民身份证",
            RESIDENT,
            "水费",
            "是",
            "2026-09-01",
            "2026-09-30",
            "12",
            "m³",
            "60.00",
            *WATER_UNIT,
            "2026-10-20",
        ]
    ],
    "arrears": [
        [
            COMPANY_NAME,
            COMPANY,
            "拖欠电费",
            "2026-10-01",
            "2026-10-31",
            "1294.75",
            *POWER_UNIT,
            "2026-11-30",
        ]
    ],
    "arrears-natural": [
        [
            "李四",
            "居民身份证",
            RESIDENT,
            "拖欠水费",
            "2026-09-01",
            "2026-09-30",
            "40.00",
            WATER_UNIT[0],
        ]
    ],
    "violations": [["P-001", COMPANY_NAME, "2026-06-21", "9229.87", "", "", "9229.87", ""]],
    "commitments": [
        [
            "CN-POWER-20260301-1",
            COMPANY_NAME,
            "法人及非法人组织",
            COMPANY,
            "审批替代型",
            "暂无法提供物业权属证明，申请用电报装",
            "本单位承诺一年内补齐物业权属证明。",
            "未履行承诺的，同意供电部门依法中止供电。",
            "2026-03-01",
            "2027-03-01",
            "履行中",
            "",
            "",
            "2026-03-02",
            *POWER_UNIT,
            *POWER_UNIT,
            "社会公开",
            "承诺书.pdf",
        ]
    ],
    "records": [
        [
            "SX00000001",
            COMPANY_NAME,
            "法人及非法人组织",
            COMPANY,
            "窃水/窃电",
            "严重",
            "窃电",
            "5000.00",
            *POWER_UNIT,
            "2026-07-01",
            "2026-07-02",
            "2029-07-01",
            "公示中",
            TODAY,
        ]
    ],
}


SOURCE_KEYS = {
    "payments": "payment:PAY-1",
    "payments-natural": "payment:PAY-2",
    "arrears": "arrears:P-001:2026-11-30",
    "arrears-natural": "arrears:W-001:2026-11-30",
    "violations": "incident:V-1",
    "commitments": "commitment:CN-POWER-20260301-1",
    "records": "record:1",
}


@pytest.fixture
def filled(engine: Engine) -> Engine:
    with engine.begin() as connection:
        build(connection)
    return engine


def export(
    connection: Connection,
    root: Path,
    kind: str,
    *,
    now: dt.datetime | None = None,
    **changes: Any,
) -> service.ExportOutcome:
    request = ExportRequest(
        catalog="zhanjiang-2022", kind=kind, as_of=AS_OF, utilities=[], **changes
    )
    return service.export(connection, request, units=UNITS, root=root, now=now or soon())


def soon() -> dt.datetime:
    """A moment after every row the test built: the export's window takes them all."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)


def data_rows(batch: Batch) -> list[list[str]]:
    data = batch.file("data")
    assert data is not None
    header, *rows = read_rows(Path(batch.folder) / data.name)
    assert tuple(header) == ZHANJIANG_2022.kind(batch.kind).headers
    return rows


def expected_rows(kind: str) -> list[list[str]]:
    return [[today().isoformat() if v == TODAY else v for v in row] for row in EXPECTED[kind]]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_kind_is_the_catalogs_items_column_by_column(
    filled: Engine, tmp_path: Path, kind: str
) -> None:
    with filled.begin() as connection:
        outcome = export(connection, tmp_path, kind)
    batch = outcome.batch
    assert (batch.rows, batch.invalid_rows, batch.status) == (1, 0, "created")
    rows = data_rows(batch)
    headers = ZHANJIANG_2022.kind(kind).headers
    for got, expected in zip(rows, expected_rows(kind), strict=True):
        assert dict(zip(headers, got, strict=True)) == dict(zip(headers, expected, strict=True))
    keys = (Path(batch.folder) / "keys.txt").read_text(encoding="utf-8").splitlines()
    assert keys == [SOURCE_KEYS[kind]]


@pytest.mark.parametrize(
    ("fmt", "encoding"),
    [
        (ExportFormat.XLSX, Encoding.UTF8_BOM),
        (ExportFormat.JSON, Encoding.UTF8_BOM),
        (ExportFormat.CSV, Encoding.GB18030),
    ],
)
def test_every_format_holds_the_same_rows(
    filled: Engine, tmp_path: Path, fmt: ExportFormat, encoding: Encoding
) -> None:
    with filled.begin() as connection:
        batch = export(connection, tmp_path, "commitments", fmt=fmt, encoding=encoding).batch
    assert data_rows(batch) == EXPECTED["commitments"]
    data = batch.file("data")
    assert data is not None and data.name.endswith(f".{fmt.value}")
    if fmt is ExportFormat.CSV:
        raw = (Path(batch.folder) / data.name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and "承诺编码".encode("gb18030") in raw


def test_the_batch_records_its_files_with_sizes_and_checksums(
    filled: Engine, tmp_path: Path
) -> None:
    import hashlib

    with filled.begin() as connection:
        batch = export(connection, tmp_path, "payments").batch
    assert {f["role"] for f in batch.files} == {"data", "keys"}
    for entry in batch.files:
        raw = (Path(batch.folder) / str(entry["name"])).read_bytes()
        assert entry["bytes"] == len(raw)
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest()


def test_invalid_rows_stay_out_of_the_file_and_are_reported(filled: Engine, tmp_path: Path) -> None:
    with filled.begin() as connection:
        connection.execute(
            update(SubjectRow).where(SubjectRow.code == COMPANY).values(code=COMPANY[:-1] + "R")
        )
        outcome = export(connection, tmp_path, "payments")
    batch = outcome.batch
    assert (batch.rows, batch.invalid_rows) == (0, 1)
    assert data_rows(batch) == []
    [problem] = outcome.problems
    assert problem.item == "统一社会信用代码" and problem.value == COMPANY[:-1] + "R"
    report = batch.file("invalid")
    assert report is not None
    header, *lines = read_rows(Path(batch.folder) / report.name)
    assert header == ["来源记录", "数据项", "值", "原因"]
    assert lines[0][:3] == ["payment:PAY-1", "统一社会信用代码", COMPANY[:-1] + "R"]


def test_since_last_exports_what_changed_after_the_last_accepted_batch(
    filled: Engine, tmp_path: Path
) -> None:
    with filled.begin() as connection:
        first = export(connection, tmp_path, "payments", since_last=True).batch
    assert first.mode == "full" and first.since is None  # nothing accepted yet: everything
    later = first.until + dt.timedelta(seconds=30)
    with filled.begin() as connection:
        pending = export(connection, tmp_path, "payments", since_last=True, now=later).batch
        assert pending.mode == "full"  # the first batch was never taken by the platform
        service.move(connection, first.id, "send", actor="op")
        service.move(connection, first.id, "accept", actor="op")
        bill_id = connection.execute(select(PaymentRow.bill_id)).scalars().first()
        connection.execute(
            insert(PaymentRow).values(
                payment_no="PAY-3",
                bill_id=bill_id,
                paid_on=dt.date(2026, 11, 20),
                amount=Decimal("1.00"),
                updated_at=first.until + dt.timedelta(seconds=10),
            )
        )
    with filled.begin() as connection:
        second = export(connection, tmp_path, "payments", since_last=True, now=later).batch
    assert second.mode == "incremental" and second.since == first.until
    assert [row[-1] for row in data_rows(second)] == ["2026-11-20"]
    assert second.rows == 1


def test_batches_move_only_as_the_workflow_allows_and_a_stale_move_loses(
    filled: Engine, tmp_path: Path
) -> None:
    with filled.begin() as connection:
        batch = export(connection, tmp_path, "violations").batch
        with pytest.raises(TransitionRefusedError):
            service.move(connection, batch.id, "accept", actor="op")
        sent = service.move(connection, batch.id, "send", actor="op")
        assert sent.status == "sent" and sent.status_zh == "已报送"
        assert not repository.set_status(
            connection, batch.id, BatchStatus.CREATED, BatchStatus.SENT
        )


def test_a_stale_move_is_a_conflict(
    filled: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with filled.begin() as connection:
        batch = export(connection, tmp_path, "violations").batch
        monkeypatch.setattr(repository, "set_status", lambda *_a, **_k: False)
        with pytest.raises(ConflictError):
            service.move(connection, batch.id, "send", actor="op")


def test_a_failed_export_leaves_no_batch_and_no_files(
    filled: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def breaks(*args: object) -> Iterator[tuple[str, list[str]]]:
        yield from sources.SOURCES["violations"](*args)  # type: ignore[arg-type]
        raise RuntimeError("the store went away")

    monkeypatch.setitem(sources.SOURCES, "payments", breaks)
    with pytest.raises(RuntimeError), filled.begin() as connection:
        export(connection, tmp_path, "payments")
    with filled.connect() as connection:
        count = connection.execute(select(func.count()).select_from(ExchangeBatchRow))
        assert count.scalar_one() == 0
    assert list(tmp_path.iterdir()) == []


def test_an_export_reads_only_the_utilities_asked_for(filled: Engine, tmp_path: Path) -> None:
    with filled.begin() as connection:
        request = ExportRequest(
            catalog="zhanjiang-2022", kind="payments", as_of=AS_OF, utilities=[Utility.WATER]
        )
        batch = service.export(connection, request, units=UNITS, root=tmp_path, now=soon()).batch
    assert batch.rows == 0 and batch.utilities == ",water,"
