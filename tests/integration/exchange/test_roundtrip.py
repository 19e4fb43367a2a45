"""Submission batches with the local platform over real HTTP: export, send, receive errors,
correct (by re-import or an audited edit), resubmit, accepted; error rates; each bad answer
and each platform fault leaves everything as it was and sends nothing twice. SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tests.integration.exchange.platform_world import (
    TOKEN,
    add_second_payment,
    batch,
    export,
)
from tests.integration.exchange.world import build
from tests.support.platform import PlatformTestServer, returned_file
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.tables import PaymentRow
from utilcredit.errors import ConflictError, FieldInvalidError
from utilcredit.exchange import submission
from utilcredit.exchange.files import read_rows
from utilcredit.exchange.model import ReturnedStatus
from utilcredit.exchange.platform import PlatformClient, PlatformError
from utilcredit.exchange.returns import ReturnedFileError
from utilcredit.exchange.tables import ReturnedRowRow
from utilcredit.localtime import today
from utilcredit.workflow import TransitionRefusedError


@pytest.fixture
def filled(engine: Engine) -> Engine:
    with engine.begin() as connection:
        build(connection)
    add_second_payment(engine)
    return engine


@pytest.fixture
def platform() -> Iterator[PlatformTestServer]:
    with PlatformTestServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(platform: PlatformTestServer) -> Iterator[PlatformClient]:
    with PlatformClient(platform.url, TOKEN, timeout=0.5, retries=0) as made:
        yield made


def send(engine: Engine, batch_id: int, client: PlatformClient) -> None:
    with engine.begin() as connection:
        submission.send(connection, batch_id, client, actor="op")


def load(
    engine: Engine, batch_id: int, client: PlatformClient | None = None, data: bytes | None = None
) -> submission.LoadedReturns:
    with engine.begin() as connection:
        return submission.load_returns(connection, batch_id, data=data, client=client, actor="op")


def returned(engine: Engine) -> list[tuple[int, str, str, int | None]]:
    with engine.connect() as connection:
        rows = submission.returned_rows(connection)
    return [(r.batch_id, r.source_key, r.status, r.resubmitted_in) for r in rows]


def data_rows(batch_id: int, engine: Engine) -> list[list[str]]:
    found = batch(engine, batch_id)
    entry = found.file("data")
    assert entry is not None
    return list(read_rows(Path(found.folder) / entry.name))[1:]


def test_round_trip_corrected_by_reimport(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    first = export(filled, tmp_path, "payments")
    assert first.rows == 2
    platform.reject_rows = {2: ("E301", "缴费金额与账单不符")}
    send(filled, first.id, client)
    sent = batch(filled, first.id)
    assert (sent.status, sent.platform_ref) == ("sent", "PT000001") and sent.sent_at is not None

    loaded = load(filled, first.id, client)
    assert (loaded.batch.status, loaded.batch.returned_rows, loaded.rows) == (
        "partly_rejected",
        1,
        1,
    )
    assert returned(filled) == [(first.id, "payment:PAY-3", "open", None)]

    with filled.begin() as connection:  # the billing system's corrected payment, re-imported
        connection.execute(
            update(PaymentRow)
            .where(PaymentRow.payment_no == "PAY-3")
            .values(amount=Decimal("2.00"), updated_at=first.until + dt.timedelta(seconds=1))
        )
    second = export(
        filled, tmp_path, "payments", since_last=True, now=first.until + dt.timedelta(seconds=30)
    )
    assert (second.mode, second.since, second.rows) == ("incremental", first.until, 1)
    assert [row[8] for row in data_rows(second.id, filled)] == ["2.00"]
    assert returned(filled) == [(first.id, "payment:PAY-3", "resubmitted", second.id)]

    send(filled, second.id, client)
    assert load(filled, second.id, client).batch.status == "accepted"
    assert len(platform.submissions) == 2 and platform.duplicates == 0

    with filled.connect() as connection:
        month = submission.error_rates(connection, today().strftime("%Y-%m"))
    assert (month.total.rows_sent, month.total.rows_returned, month.total.batches) == (3, 1, 2)
    assert month.total.rate_text == "33.33%" and month.total.rate_permille == 333
    assert month.codes == [("E301", 1)]
    assert submission.batch_rate(batch(filled, first.id)).rate_text == "50.00%"


def test_round_trip_corrected_by_an_audited_edit_and_resubmitted_alone(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    first = export(filled, tmp_path, "violations")
    platform.reject_rows = {1: ("E110", "户号未在平台登记")}
    send(filled, first.id, client)
    assert load(filled, first.id, client).batch.status == "rejected"
    [row] = _row_ids(filled)

    with filled.begin() as connection, pytest.raises(FieldInvalidError, match="note"):
        submission.correct(connection, row, note=" ", actor="op")
    with filled.begin() as connection:
        fixed = submission.correct(connection, row, note="平台已补登户号", actor="auditor")
    assert (fixed.status, fixed.corrected_by, fixed.correction) == (
        "corrected",
        "auditor",
        {"how": "edit", "note": "平台已补登户号"},
    )
    with filled.begin() as connection, pytest.raises(TransitionRefusedError):
        submission.correct(connection, row, note="again", actor="op")
    with filled.connect() as connection:
        entry = connection.execute(
            select(AuditEntryRow.actor, AuditEntryRow.reason).where(
                AuditEntryRow.action == "exchange.correct"
            )
        ).one()
    assert tuple(entry) == ("auditor", "平台已补登户号")

    again = export(
        filled, tmp_path, "violations", corrections=True, now=first.until + dt.timedelta(seconds=30)
    )
    assert (again.mode, again.rows) == ("corrections", 1)
    assert returned(filled) == [(first.id, "incident:V-1", "resubmitted", again.id)]
    send(filled, again.id, client)
    assert load(filled, again.id, client).batch.status == "accepted"


def test_an_incremental_export_resubmits_rows_corrected_by_an_edit(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    first = export(filled, tmp_path, "payments")
    platform.reject_rows = {1: ("E101", "统一社会信用代码未登记")}
    send(filled, first.id, client)
    load(filled, first.id, client)
    [row] = _row_ids(filled)
    with filled.begin() as connection:
        submission.correct(connection, row, note="主体已在平台登记", actor="op")
    later = export(
        filled, tmp_path, "payments", since_last=True, now=first.until + dt.timedelta(seconds=30)
    )
    assert later.mode == "incremental" and later.rows == 1  # nothing changed but the corrected row
    assert returned(filled) == [(first.id, "payment:PAY-1", "resubmitted", later.id)]


def _row_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(ReturnedRowRow.id).order_by(ReturnedRowRow.id)).scalars()
        )


# ---- faults: nothing lost, nothing sent twice ------------------------------------------------


def test_a_timeout_leaves_the_batch_created_and_the_retry_does_not_submit_twice(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    made = export(filled, tmp_path, "payments")
    platform.delay = 1.5  # the platform takes the batch, the answer comes too late
    with pytest.raises(PlatformError, match="timed out"):
        send(filled, made.id, client)
    assert batch(filled, made.id).status == "created"
    platform.delay = 0
    send(filled, made.id, client)
    assert (batch(filled, made.id).status, batch(filled, made.id).platform_ref) == (
        "sent",
        "PT000001",
    )
    assert (len(platform.submissions), platform.uploads, platform.duplicates) == (1, 2, 1)


def test_a_500_leaves_the_batch_created_and_a_later_send_goes_through(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    made = export(filled, tmp_path, "payments")
    platform.fail_next = 1
    with pytest.raises(PlatformError, match="HTTP 500"):
        send(filled, made.id, client)
    assert batch(filled, made.id).status == "created" and platform.submissions == []
    send(filled, made.id, client)
    with pytest.raises(TransitionRefusedError):
        send(filled, made.id, client)  # refused before anything goes out
    assert (batch(filled, made.id).status, len(platform.submissions), platform.uploads) == (
        "sent",
        1,
        1,
    )


def test_a_data_file_changed_after_the_export_is_not_sent(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    made = export(filled, tmp_path, "payments")
    entry = made.file("data")
    assert entry is not None
    with (Path(made.folder) / entry.name).open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(FieldInvalidError, match="checksum"):
        send(filled, made.id, client)
    assert platform.uploads == 0 and batch(filled, made.id).status == "created"


# ---- bad answers: clear errors that write nothing ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (returned_file([(1, "E1", "x"), (9, "E1", "y")]), "rows batch"),
        ("行號,錯誤代碼,錯誤訊息\r\n1,E1,x\r\n".encode("big5"), "wrong encoding"),
        (returned_file([(1, "E1", "统一社会信用代码未登记")])[:-5], "truncated"),
        (returned_file([(1, "E1", "x")], encoding="utf-16"), "UTF-16"),
    ],
)
def test_a_bad_returned_file_writes_nothing(
    filled: Engine,
    tmp_path: Path,
    platform: PlatformTestServer,
    client: PlatformClient,
    data: bytes,
    said: str,
) -> None:
    made = export(filled, tmp_path, "payments")
    send(filled, made.id, client)
    with pytest.raises(ReturnedFileError, match=said):
        load(filled, made.id, data=data)
    assert batch(filled, made.id).status == "sent" and returned(filled) == []
    assert (
        load(filled, made.id, data=returned_file([(2, "E1", "x")])).batch.status
        == "partly_rejected"
    )


def test_a_truncated_or_pending_answer_from_the_platform_writes_nothing(
    filled: Engine, tmp_path: Path, platform: PlatformTestServer, client: PlatformClient
) -> None:
    made = export(filled, tmp_path, "payments")
    platform.reject_rows = {1: ("E1", "统一社会信用代码未登记"), 2: ("E2", "缴费日期有误")}
    send(filled, made.id, client)
    platform.pending = True
    with pytest.raises(ConflictError, match="not answered"):
        load(filled, made.id, client)
    platform.pending, platform.truncate_errors = False, True
    with pytest.raises(ReturnedFileError, match="truncated"):
        load(filled, made.id, client)
    assert batch(filled, made.id).status == "sent"
    with filled.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(ReturnedRowRow)).scalar_one() == 0
        )
    platform.truncate_errors = False
    assert load(filled, made.id, client).batch.status == "rejected"
    with pytest.raises(TransitionRefusedError):
        load(filled, made.id, client)  # answered once only
    assert [status for *_x, status, _r in returned(filled)] == [ReturnedStatus.OPEN] * 2
