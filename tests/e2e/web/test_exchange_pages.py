"""The exchange console over HTTP: the exports page (a batch made from its form, a refused
form shown again with its error, another utility refused and audited, a file checked with
and without htmx), the batches list (status, counts, error rate, only the reader's
utilities; a month's error rates above it), one batch (files to download, the validation
report) with its actions against the local platform (send, a failed send shown and the batch
left created, the answer fetched or a returned-error file uploaded, a returned row marked
corrected) and the navigation entry.

Entry-point checks (the use cases behind them run on both stores in the API tests): SQLite
only, like the access matrix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from tests.e2e.web.test_notices_pages import ids, section
from tests.support.console import Session, log_in
from tests.support.platform import PlatformTestServer, returned_file
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.exchange import service as exchange
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.tables import ExchangeBatchRow, ReturnedRowRow
from utilcredit.localtime import today

pytestmark = pytest.mark.sqlite_only

PAYMENTS = ZHANJIANG_2022.kind("payments")


@pytest.fixture
def platform(settings: Settings) -> Iterator[PlatformTestServer]:
    """The local platform, configured in the app's settings (no retries: failures show at once)."""
    with PlatformTestServer(token="web-platform") as server:
        settings.exchange.platform_url = server.url
        settings.exchange.platform_token = SecretStr("web-platform")
        settings.exchange.retries = 0
        yield server


def status_of(engine: Engine, batch_id: int) -> str:
    with engine.connect() as connection:
        return exchange.batch(connection, batch_id).status


def returned_statuses(engine: Engine, batch_id: int) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ReturnedRowRow.id, ReturnedRowRow.status)
            .where(ReturnedRowRow.batch_id == batch_id)
            .order_by(ReturnedRowRow.id)
        ).all()
    return [(r.id, r.status) for r in rows]


def batch_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(ExchangeBatchRow.id).order_by(ExchangeBatchRow.id)).scalars()
        )


def export_form(**fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"kind": "payments", "mode": "full", "format": "csv", "as_of": "2026-11-22", **fields}


def make_batch(session: Session, **fields: str | list[str]) -> int:
    done = session.post("/exports", export_form(**fields))
    assert done.status_code == 303, done.text
    found = re.fullmatch(r"/batches/(\d+)\?done=export", done.headers["location"])
    assert found is not None, done.headers["location"]
    return int(found.group(1))


def test_an_export_from_the_form_becomes_a_batch_shown_with_its_files(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    operator = log_in(app, "op-water")
    page = operator.get("/exports")
    assert page.status_code == 200, page.text
    form = section(page.text, "export-form")
    assert all(f'value="{k.key}"' in form for k in ZHANJIANG_2022.kinds)
    assert 'name="utility" value="water"' in form and 'value="power"' not in form
    assert "导出报送文件" in page.text  # Chinese first

    batch_id = make_batch(operator)
    assert batch_ids(engine) == [batch_id]
    shown = operator.get(f"/batches/{batch_id}?done=export")
    assert shown.status_code == 200
    assert 'id="flash"' in shown.text and "报送批次已生成" in shown.text
    assert re.search(r'id="batch-rows">25<', shown.text)
    assert "公用事业缴费信息" in section(shown.text, "batch-kind")
    files = section(shown.text, "files")
    link = re.search(rf'href="(/api/batches/{batch_id}/files/data)"', files)
    assert link is not None
    data = operator.get(link.group(1))  # the API's route, with the console's session
    assert data.status_code == 200
    header = next(csv.reader(io.StringIO(data.content.decode("utf-8-sig"))))
    assert tuple(header) == PAYMENTS.headers
    assert 'id="report-clean"' in shown.text

    listed = operator.get("/batches")
    assert ids(listed.text, "batch-row") == [batch_id]
    assert "已生成" in listed.text and 'href="/batches"' in listed.text  # the nav entry


def test_a_refused_export_is_shown_again_and_writes_nothing(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    operator = log_in(app, "op-water")
    refused = operator.post("/exports", export_form(kind="nonsense"))
    assert refused.status_code == 422
    assert 'data-field="kind"' in refused.text and "nonsense" in refused.text
    bad_day = operator.post("/exports", export_form(as_of="2026-02-30"))
    assert bad_day.status_code == 422 and 'data-field="as_of"' in bad_day.text
    assert 'value="2026-02-30"' in bad_day.text  # what was typed stays
    assert batch_ids(engine) == []
    assert not (settings.data_dir / "exchange").exists() or not any(
        (settings.data_dir / "exchange").rglob("*.csv")
    )

    other = operator.post("/exports", export_form(utility=["power"]))
    assert other.status_code == 403
    with engine.connect() as connection:
        denials = connection.execute(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.action == "access_denied", AuditEntryRow.actor == "op-water")
        ).scalar_one()
    assert denials == 1 and batch_ids(engine) == []

    reviewer = log_in(app, "rev-water")
    assert reviewer.get("/exports").status_code == 403
    assert reviewer.get("/batches").status_code == 200


def test_batches_show_only_the_readers_utilities_with_error_rate_and_report(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    water = make_batch(log_in(app, "op-water"))
    power = make_batch(log_in(app, "op-power"), kind="arrears")
    # Every row fails: the water unit's code has a wrong check character.
    settings.records.determining_units = {
        **settings.records.determining_units,
        "water": ("示范供水有限公司", "91440200617512345A"),
    }
    both = make_batch(log_in(app, "op-both"))

    assert ids(log_in(app, "op-water").get("/batches").text, "batch-row") == [water]
    assert ids(log_in(app, "op-power").get("/batches").text, "batch-row") == [power]
    office = log_in(app, "office")
    assert ids(office.get("/batches").text, "batch-row") == [both, power, water]
    assert ids(office.get("/batches?kind=arrears").text, "batch-row") == [power]
    assert ids(office.get("/batches?status=accepted").text, "batch-row") == []
    assert "—" in section(office.get("/batches").text, "batches")  # no answer: no error rate

    page = office.get(f"/batches/{both}")
    assert page.status_code == 200
    report = section(page.text, "report")
    assert report.count('class="problem"') == 25 and "91440200617512345A" in report
    assert "/api/batches/" not in section(page.text, "files")  # no exchange: no download

    hidden = log_in(app, "op-water").get(f"/batches/{both}")
    assert hidden.status_code == 404


def test_a_file_is_checked_with_and_without_htmx(app: FastAPI) -> None:
    operator = log_in(app, "op-water")
    batch_id = make_batch(operator)
    content = operator.get(f"/api/batches/{batch_id}/files/data").content
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    rows[0][PAYMENTS.headers.index("缴费金额")] = "-3.00"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    upload = {"file": ("edited.csv", buffer.getvalue().encode("utf-8-sig"), "text/csv")}

    whole = operator.client.post(
        "/exports/validate", data={"csrf_token": operator.csrf}, files=upload
    )
    assert whole.status_code == 200 and "<html" in whole.text
    summary = section(whole.text, "check-summary")
    assert 'data-rows="25"' in summary and 'data-invalid="1"' in summary
    assert "缴费金额" in section(whole.text, "validation") and "-3.00" in whole.text

    partial = operator.client.post(
        "/exports/validate",
        files=upload,
        headers={"HX-Request": "true", "X-CSRF-Token": operator.csrf},
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert partial.text.lstrip().startswith('<div id="validation">')
    assert 'data-invalid="1"' in partial.text

    refused = operator.client.post(
        "/exports/validate",
        data={"csrf_token": operator.csrf},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert refused.status_code == 422 and 'id="check-error"' in refused.text
    assert "notes.txt" in refused.text


def test_a_batch_is_sent_answered_and_corrected_from_its_page(
    app: FastAPI, engine: Engine, platform: PlatformTestServer
) -> None:
    operator = log_in(app, "op-water")
    batch_id = make_batch(operator)
    url = f"/batches/{batch_id}"
    page = operator.get(url)
    assert 'id="send-form"' in page.text and 'id="no-platform"' not in page.text
    assert 'id="send-form"' not in log_in(app, "rev-water").get(url).text  # no exchange

    # another utility's operator: not found (audited), a reviewer: forbidden; nothing pushed
    assert log_in(app, "op-power").post(f"{url}/send").status_code == 404
    assert log_in(app, "rev-water").post(f"{url}/send").status_code == 403
    assert platform.uploads == 0

    # the platform answers 500: said next to the send form, the batch stays created
    platform.fail_next = 1
    failed = operator.post(f"{url}/send")
    assert failed.status_code == 502, failed.text
    assert "平台暂不可用" in section(failed.text, "send-form")  # HTTP 500, in Chinese
    assert status_of(engine, batch_id) == "created" and platform.submissions == []

    platform.reject_rows = {2: ("E101", "统一社会信用代码未登记")}
    sent = operator.post(f"{url}/send")
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{url}?done=send")
    shown = operator.get(f"{url}?done=send")
    assert "已报送至平台" in section(shown.text, "flash")
    assert status_of(engine, batch_id) == "sent" and len(platform.submissions) == 1
    assert 'id="fetch-form"' in shown.text and 'id="send-form"' not in shown.text
    again = operator.post(f"{url}/send")  # a second send is refused: the platform gets one
    assert again.status_code in (409, 422) and 'id="form-error-summary"' in again.text
    assert platform.uploads == 1

    fetched = operator.post(f"{url}/returns")  # no file: the platform's answer
    assert fetched.status_code == 303, fetched.text
    answered = operator.get(f"{url}?done=fetch")
    assert "已载入平台答复" in answered.text
    assert status_of(engine, batch_id) == "partly_rejected"
    assert section(answered.text, "batch-error-rate").endswith(">4.00%")  # 1 of 25 rows
    [(row_id, status)] = returned_statuses(engine, batch_id)
    assert status == "open"
    returned = section(answered.text, "returned")
    assert "E101" in returned and f'id="correct-form-{row_id}"' in returned

    # a correction needs a note: refused next to its own form, nothing changed
    blank = operator.post(f"{url}/returned/{row_id}/correct", {"note": "  "})
    assert blank.status_code == 422
    assert 'data-field="note"' in section(blank.text, f"correct-form-{row_id}")
    assert returned_statuses(engine, batch_id) == [(row_id, "open")]
    assert (
        log_in(app, "op-power").post(f"{url}/returned/{row_id}/correct", {"note": "x"}).status_code
        == 404
    )
    done = operator.post(f"{url}/returned/{row_id}/correct", {"note": "已核对统一社会信用代码"})
    assert done.status_code == 303 and "done=correct" in done.headers["location"]
    assert returned_statuses(engine, batch_id) == [(row_id, "corrected")]
    corrected = operator.get(f"{url}?done=correct")
    assert "已核对统一社会信用代码" in section(corrected.text, "returned")
    assert f'id="correct-form-{row_id}"' not in corrected.text
    with engine.connect() as connection:
        audited = connection.execute(
            select(AuditEntryRow.actor, AuditEntryRow.entity_key).where(
                AuditEntryRow.action == "exchange.correct"
            )
        ).all()
    assert [tuple(a) for a in audited] == [("op-water", str(row_id))]


def test_a_returned_error_file_is_uploaded_and_a_bad_one_writes_nothing(
    app: FastAPI, engine: Engine, platform: PlatformTestServer
) -> None:
    operator = log_in(app, "op-water")
    batch_id = make_batch(operator)
    url = f"/batches/{batch_id}"
    assert operator.post(f"{url}/send").status_code == 303

    def upload(content: bytes) -> Response:
        found: Response = operator.client.post(
            f"{url}/returns",
            data={"csrf_token": operator.csrf},
            files={"file": ("errors.csv", content, "text/csv")},
            follow_redirects=False,
        )
        return found

    unknown = upload(returned_file([(99, "E1", "无此行")]))
    assert unknown.status_code == 422
    assert "99" in section(unknown.text, "returns-form")
    assert status_of(engine, batch_id) == "sent" and returned_statuses(engine, batch_id) == []

    good = upload(returned_file([(1, "E2", "金额有误"), (3, "E2", "金额有误")]))
    assert good.status_code == 303 and "done=returns" in good.headers["location"]
    assert status_of(engine, batch_id) == "partly_rejected"
    assert [s for _, s in returned_statuses(engine, batch_id)] == ["open", "open"]
    page = operator.get(f"{url}?done=returns")
    assert "退回文件已载入" in page.text and 'id="returns-form"' not in page.text
    assert ids(page.text, "returned-row") == [i for i, _ in returned_statuses(engine, batch_id)]


def test_without_a_platform_send_is_refused_on_the_page(app: FastAPI, engine: Engine) -> None:
    operator = log_in(app, "op-water")
    batch_id = make_batch(operator)
    assert 'id="no-platform"' in operator.get(f"/batches/{batch_id}").text
    refused = operator.post(f"/batches/{batch_id}/send")
    assert refused.status_code == 503
    assert "UTILCREDIT_EXCHANGE_PLATFORM_URL" in section(refused.text, "send-form")
    assert status_of(engine, batch_id) == "created"


def test_the_batches_list_shows_the_months_error_rates_of_the_readers_batches(
    app: FastAPI, engine: Engine, platform: PlatformTestServer
) -> None:
    operator = log_in(app, "op-water")
    batch_id = make_batch(operator)
    month = today().strftime("%Y-%m")
    empty = operator.get("/batches")
    assert f'data-month="{month}"' in empty.text and 'id="no-sent"' in empty.text

    platform.reject_rows = {1: ("E101", "统一社会信用代码未登记"), 2: ("E102", "日期有误")}
    assert operator.post(f"/batches/{batch_id}/send").status_code == 303
    pending = section(operator.get("/batches").text, "month-errors")
    assert re.search(r'id="month-rate">—<', pending)  # sent, not answered: no rate yet
    assert operator.post(f"/batches/{batch_id}/returns").status_code == 303

    listed = operator.get(f"/batches?month={month}")
    errors = section(listed.text, "month-errors")
    assert re.search(r'id="month-rate">8\.00%<', errors)  # 2 of 25 rows
    assert 'data-kind="payments"' in errors and "E101" in errors and "E102" in errors
    assert ids(listed.text, "batch-row") == [batch_id]

    assert 'id="no-sent"' in log_in(app, "op-power").get(f"/batches?month={month}").text
    assert 'id="no-sent"' in operator.get("/batches?month=2020-01").text
    bad = operator.get("/batches?month=2026-13")
    assert bad.status_code == 422 and 'data-field="month"' in bad.text
