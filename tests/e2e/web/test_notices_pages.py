"""The notices console over HTTP: the queue (counts, filters, masked contacts, failures to handle,
phone-call tasks), one notice (text, history in Asia/Shanghai time, the letter's preview), the
print batches, the credit file page's notices and preferences, and the navigation entry; every
form with its CSRF token, its refusals shown on its page and its effect in the store.

Entry-point checks (the services behind them run on both stores in the API and integration
tests): SQLite only, like the access matrix.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from tests.e2e.api.test_notices_api import (
    NOW,
    RED_PHONE,
    YELLOW_PHONE,
    Outbox,
    build_outbox,
    notice,
    subject_id_of,
)
from tests.e2e.api.world import WATER_ONLY, World
from tests.support.console import log_in
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import steps
from utilcredit.notices.repository import attempts_of, get_notice, preferences

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def outbox(engine: Engine, world: World) -> Outbox:
    return build_outbox(engine)


def ids(html: str, css: str) -> list[int]:
    return [int(i) for i in re.findall(rf'class="{css}[^"]*" data-id="(\d+)"', html)]


def section(html: str, element_id: str) -> str:
    """The element with ``element_id`` (a section or form: none of them nests its own kind)."""
    start = html.rindex("<", 0, html.index(f'id="{element_id}"'))
    tag = re.match(r"<(\w+)", html[start:])
    assert tag is not None
    return html[start : html.index(f"</{tag.group(1)}>", start)]


def fail(engine: Engine, notice_id: int, error: str = "invalid number") -> None:
    """The dispatcher's two steps for a notice the gateway refused: claimed, then rejected."""
    with engine.begin() as connection:
        for action, values in (("claim", {}), ("reject", {"last_error": error})):
            line = get_notice(connection, notice_id)
            assert line is not None
            steps.move(
                connection, [line], action, actor="dispatcher", now=NOW, values=values, detail=error
            )


# ---- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_counts_filters_and_masked_contacts(
    app: FastAPI, outbox: Outbox, engine: Engine
) -> None:
    operator = log_in(app, "op-water")
    page = operator.get("/notices")
    assert page.status_code == 200, page.text
    assert '<a href="/notices">通知</a>' in page.text  # the navigation entry
    assert "通知队列" in page.text and "电话告知任务" in page.text
    assert re.search(r'id="notice-total">8<', page.text)
    counts = section(page.text, "notice-counts")
    assert "待发送" in counts and "书面函件" in counts and "短信" in counts
    listed = ids(page.text, "notice-row")
    assert len(listed) == 8 and listed == sorted(listed, reverse=True)
    # masked for everyone on the console, the operator included
    assert "138****5678" in page.text and "139****1111" in page.text
    assert RED_PHONE not in page.text and YELLOW_PHONE not in page.text
    calls = section(page.text, "calls")
    assert ids(calls, "call-row") == [outbox.id(outbox.caller, "reminder")]
    assert "已告知" in calls and "未接通" in calls
    assert "电话客户" in calls
    assert 'id="no-failures"' in page.text

    letters = operator.get("/notices?channel=letter")
    assert set(ids(letters.text, "notice-row")) == {
        outbox.id(WATER_ONLY, "notice_letter"),
        outbox.id(outbox.red, "notice_letter"),
    }
    mine = operator.get(f"/notices?subject={outbox.red}&kind=letter_pointer")
    assert ids(mine.text, "notice-row") == [outbox.id(outbox.red, "letter_pointer")]
    assert operator.get("/notices?status=bogus").status_code == 422

    english = log_in(app, "op-water", lang="en").get("/notices")
    assert "Notice queue" in english.text and "Phone-call tasks" in english.text
    assert "Written notice letter" in english.text and "Queued" in english.text

    other = log_in(app, "op-power").get("/notices")
    assert other.status_code == 200
    assert ids(other.text, "notice-row") == [] and ids(other.text, "call-row") == []
    assert 'id="notices-empty"' in other.text


def test_failures_are_resent_to_a_corrected_number_or_cancelled(
    app: FastAPI, outbox: Outbox, engine: Engine
) -> None:
    yellow = outbox.id(outbox.yellow, "reminder")
    pointer = outbox.id(outbox.red, "letter_pointer")
    fail(engine, yellow)
    fail(engine, pointer, "用户已停机")
    operator = log_in(app, "op-water")
    page = operator.get("/notices")
    failures = section(page.text, "failures")
    assert set(ids(failures, "failure-row")) == {yellow, pointer}
    assert "invalid number" in failures and "用户已停机" in failures
    assert f'id="resend-form-{yellow}"' in failures and f'id="cancel-form-{pointer}"' in failures

    refused = operator.post(f"/notices/{yellow}/resend", {"recipient": "12345", "back": "queue"})
    assert refused.status_code == 422
    form = section(refused.text, f"resend-form-{yellow}")
    assert 'data-field="recipient"' in form and "手机号码无效" in form
    assert 'value="12345"' in form
    assert notice(engine, yellow).status == "failed"
    assert operator.post(f"/notices/{yellow}/resend", {}, csrf=False).status_code == 403

    done = operator.post(f"/notices/{yellow}/resend", {"recipient": "13900002222"})
    assert (done.status_code, done.headers["location"]) == (303, "/notices?done=resend")
    resent = notice(engine, yellow)
    assert (resent.status, resent.recipient) == ("queued", "13900002222")
    assert "已重新排队发送" in operator.get("/notices?done=resend").text

    refused = operator.post(f"/notices/{pointer}/cancel", {"reason": " "})
    assert refused.status_code == 422
    assert 'data-field="reason"' in section(refused.text, f"cancel-form-{pointer}")
    assert notice(engine, pointer).status == "failed"
    done = operator.post(f"/notices/{pointer}/cancel", {"reason": "客户已来电告知停机"})
    assert done.status_code == 303
    assert notice(engine, pointer).status == "cancelled"
    assert ids(section(operator.get("/notices").text, "failures"), "failure-row") == []

    reviewer = log_in(app, "rev-water")  # reads, but does not file cases: no forms, 403
    assert "resend-form" not in reviewer.get("/notices").text
    assert reviewer.post(f"/notices/{yellow}/cancel", {"reason": "x"}).status_code == 403


def test_a_phone_call_task_is_recorded_from_its_buttons(
    app: FastAPI, outbox: Outbox, engine: Engine
) -> None:
    call = outbox.id(outbox.caller, "reminder")
    operator = log_in(app, "op-water")
    missed = operator.post(f"/notices/{call}/call", {"reached": "no", "note": "无人接听"})
    assert (missed.status_code, missed.headers["location"]) == (303, "/notices?done=miss")
    assert (notice(engine, call).status, notice(engine, call).last_error) == ("failed", "无人接听")
    page = operator.get("/notices?done=miss")
    assert "已登记未接通" in page.text
    assert ids(section(page.text, "failures"), "failure-row") == [call]
    assert ids(section(page.text, "calls"), "call-row") == []

    assert operator.post(f"/notices/{call}/resend", {"back": "notice"}).status_code == 303
    told = operator.post(f"/notices/{call}/call", {"reached": "yes", "back": "notice"})
    assert told.headers["location"] == f"/notices/{call}?done=reach"
    assert notice(engine, call).status == "delivered"
    assert "已登记电话告知" in operator.get(told.headers["location"]).text
    again = operator.post(f"/notices/{call}/call", {"reached": "yes", "back": "notice"})
    assert again.status_code == 422
    assert "已送达" in again.text  # the machine's refusal, on the notice's page


# ---- one notice ---------------------------------------------------------------------------------


def test_a_notice_shows_its_text_history_in_shanghai_time_and_its_letter(
    app: FastAPI, outbox: Outbox, engine: Engine
) -> None:
    sms = outbox.id(outbox.yellow, "reminder")
    operator = log_in(app, "op-water")
    page = operator.get(f"/notices/{sms}")
    assert page.status_code == 200
    text = section(page.text, "notice-text")
    assert "【涟水县涟缘水务有限公司】黄色客户" in text
    assert section(page.text, "notice-recipient").endswith("139****1111")
    assert 'id="letter-preview"' not in page.text
    assert 'id="cancel-form"' in page.text and 'id="resend-form"' not in page.text

    done = operator.post(f"/notices/{sms}/cancel", {"reason": "客户已缴清", "back": "notice"})
    assert done.headers["location"] == f"/notices/{sms}?done=cancel"
    page = operator.get(done.headers["location"])
    assert "通知已取消" in page.text and 'id="nothing-to-do"' in page.text
    with engine.connect() as connection:
        [step] = attempts_of(connection, sms)
    history = section(page.text, "history")
    assert step.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in history
    assert "取消" in history and "待发送 → 已取消" in history and "客户已缴清" in history
    assert "op-water" in history

    letter = outbox.id(outbox.red, "notice_letter")
    page = operator.get(f"/notices/{letter}")
    preview = section(page.text, "letter-preview")
    assert f'src="/api/notices/{letter}/letter.pdf"' in preview
    assert "书面函件在打印时按评级结果生成" in page.text
    assert "涟水县安东北路1号" in page.text  # a postal address is not masked (see the report)
    office = log_in(app, "office").get(f"/notices/{letter}")  # no view_unmasked: no letter
    assert office.status_code == 200 and 'id="letter-preview"' not in office.text
    assert log_in(app, "op-power").get(f"/notices/{letter}").status_code == 404


# ---- print batches ------------------------------------------------------------------------------


def test_print_batches_are_made_printed_and_posted(
    app: FastAPI, outbox: Outbox, engine: Engine
) -> None:
    operator = log_in(app, "op-water")
    page = operator.get("/print-batches")
    assert page.status_code == 200
    assert re.search(r'id="queued-letters">2<', page.text)
    assert 'id="no-batches"' in page.text and 'id="batch-form"' in page.text

    made = operator.post("/print-batches", {"utility": "water", "limit": "500"})
    assert (made.status_code, made.headers["location"]) == (303, "/print-batches?done=batch")
    page = operator.get("/print-batches?done=batch")
    assert "打印批次已创建" in page.text
    [batch_id] = ids(page.text, "batch-row")
    row = page.text[page.text.index(f'data-id="{batch_id}"') :]
    assert f'href="/api/print-batches/{batch_id}/letters.pdf"' in row
    assert f'href="/api/print-batches/{batch_id}/print-list.csv"' in row
    assert 'value="printed"' in section(page.text, f"mark-form-{batch_id}")
    letters = [outbox.id(WATER_ONLY, "notice_letter"), outbox.id(outbox.red, "notice_letter")]
    assert {notice(engine, i).status for i in letters} == {"batched"}

    again = operator.post("/print-batches", {"utility": "water"})
    assert again.status_code == 404 and "没有待打印" in again.text  # on the page, not an error page
    assert 'id="batch-form"' in again.text
    refused = operator.post(f"/print-batches/{batch_id}/mark", {"state": "posted"})
    assert refused.status_code == 422 and "不能标记" in refused.text

    assert operator.post(f"/print-batches/{batch_id}/mark", {"state": "printed"}).status_code == 303
    page = operator.get("/print-batches?done=printed")
    assert "已标记为已打印" in page.text
    assert 'value="posted"' in section(page.text, f"mark-form-{batch_id}")
    posted = operator.post(f"/print-batches/{batch_id}/mark", {"state": "posted"})
    assert posted.headers["location"] == "/print-batches?done=posted"
    assert {notice(engine, i).status for i in letters} == {"sent"}
    page = operator.get("/print-batches")
    assert f'id="mark-form-{batch_id}"' not in page.text and "已寄出" in page.text
    batch_page = operator.get(f"/notices?batch={batch_id}")
    assert set(ids(batch_page.text, "notice-row")) == set(letters)

    office = log_in(app, "office").get("/print-batches")  # reads; no forms, no downloads
    assert ids(office.text, "batch-row") == [batch_id]
    assert 'id="batch-form"' not in office.text and "letters.pdf" not in office.text
    power = log_in(app, "op-power")
    assert ids(power.get("/print-batches").text, "batch-row") == []
    assert power.post(f"/print-batches/{batch_id}/mark", {"state": "printed"}).status_code == 404


# ---- the credit file page -----------------------------------------------------------------------


def test_the_credit_file_shows_the_subjects_notices_and_preferences(
    app: FastAPI, outbox: Outbox, engine: Engine
) -> None:
    operator = log_in(app, "op-water")
    page = operator.get(f"/subjects/{outbox.red}")
    assert page.status_code == 200, page.text
    found = section(page.text, "subject-notices")
    assert set(ids(found, "subject-notice")) == {
        outbox.id(outbox.red, "notice_letter"),
        outbox.id(outbox.red, "letter_pointer"),
    }
    assert "138****5678" in found and RED_PHONE not in found
    assert f'href="/notices?subject={outbox.red}"' in found
    assert 'id="no-notice-preferences"' in found
    assert 'id="notice-contact-form"' in found and 'id="notice-opt-out-form"' in found
    assert 'value="letter"' not in section(found, "notice-opt-out-form")

    url = f"/subjects/{outbox.red}"
    saved = operator.post(
        f"{url}/notice-contacts", {"channel": "email", "address": "hong@example.cn"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?notice_done=contact#subject-notices"
    opted = operator.post(
        f"{url}/notice-opt-outs", {"channel": "sms", "opted_out": "yes", "reason": "客户要求"}
    )
    assert opted.status_code == 303
    page = operator.get(f"{url}?notice_done=opt_out")
    found = section(page.text, "subject-notices")
    assert "已登记退订" in found
    assert "h***@example.cn" in found and "hong@example.cn" not in found
    assert re.search(r'data-channel="sms" data-opted-out="yes"', found)
    with engine.connect() as connection:
        stored = preferences(connection, subject_id_of(engine, outbox.red))
    assert {(p.channel, p.address, p.opted_out) for p in stored} == {
        ("email", "hong@example.cn", False),
        ("sms", None, True),
    }

    letter = operator.post(f"{url}/notice-opt-outs", {"channel": "letter", "opted_out": "yes"})
    assert letter.status_code == 422 and "不能退订" in letter.text
    bad = operator.post(f"{url}/notice-contacts", {"channel": "email", "address": "nope"})
    assert bad.status_code == 422 and "电子邮箱无效" in bad.text

    office = log_in(app, "office").get(url)  # reads the section, without the forms
    found = section(office.text, "subject-notices")
    assert len(ids(found, "subject-notice")) == 2 and "notice-contact-form" not in found
    assert (
        log_in(app, "op-power")
        .post(f"{url}/notice-contacts", {"channel": "email", "address": "a@b.cn"})
        .status_code
        == 404
    )
