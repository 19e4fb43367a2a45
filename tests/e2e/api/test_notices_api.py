"""Notices through the REST API (SQLite and PostgreSQL): a Lianshui run saved the way the command
line saves one (the run and its notices in one transaction) over the API world and a red, a
yellow and an unreachable-by-SMS customer; the list with its filters, masking and utility
isolation; a notice with its history; cancel, resend of a notice the dispatcher failed, a
phone-call task's outcome; a run's preview (nothing stored); a print batch from creation to
posting with its PDF and print list; the gateways' delivery receipts (their own token, no
session); and a subject's contacts and opt-outs (never of the letter).

The builders here (:func:`save_run`, :func:`build_outbox`) serve the console's tests too. The
masking and the letter's PDF (a render costs time) are checked on SQLite only, like the access
matrix: what the front door shows is the same on either store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from tests.e2e.api.world import PERSON, WATER_ONLY, World
from tests.integration.notices.world import World as NoticeWorld
from tests.integration.notices.world import channel_settings, channels
from tests.support.channels import GatewayTestServer
from utilcredit.config import NoticeSettings, Settings
from utilcredit.customers.tables import SubjectRow
from utilcredit.http.params import masking
from utilcredit.identifiers import display_code
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices import planning
from utilcredit.notices import repository as outbox_store
from utilcredit.notices.dispatch import dispatch_once
from utilcredit.notices.model import NoticeChannel
from utilcredit.notices.repository import NoticeLine, get_notice
from utilcredit.notices.tables import NoticeRow
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import service as runs
from utilcredit.rating.sql.engines import ReferenceEngine

AS_OF = dt.date(2026, 11, 20)
#: Planning at 10:00 in Shanghai: outside quiet hours.
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
SENDING = planning.Sending.of(NoticeSettings(_env_file=None))
GATEWAY_TOKEN = "gateway-receipts-token-7"
RED_PHONE = "13812345678"  # also WATER_ONLY's
YELLOW_PHONE = "13900001111"


# ---- builders (also used by the console's tests) ------------------------------------------------


def save_run(engine: Engine, policy_key: str, *, plan: bool = True, as_of: dt.date = AS_OF) -> int:
    """Begin a run (commit), then rate, write it and plan its notices in one transaction, as
    ``utilcredit runs save`` does; ``plan`` False: a run saved without its notices."""
    loaded = policy_at(policy_key, as_of)
    with engine.begin() as connection:
        run_id = runs.begin_run(connection, loaded, as_of, engine="reference", actor="test")
    with engine.begin() as connection:
        runs.write_run(connection, run_id, loaded, ReferenceEngine())
        if plan:
            planning.plan_run(connection, run_id, sending=SENDING, now=NOW)
    return run_id


@dataclass(frozen=True)
class Outbox:
    """The world's water customers after a saved Lianshui run: WATER_ONLY (black) and RED get a
    notice letter and its SMS, YELLOW and the world's other water customers an SMS reminder,
    CALLER (opted out of SMS) a phone-call task."""

    run_id: int
    red: str
    yellow: str
    caller: str
    ids: dict[tuple[str, str], int]  # (subject code, kind) → notice id

    def id(self, code: str, kind: str) -> int:
        return self.ids[(code, kind)]


def code_of(engine: Engine, subject_id: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(SubjectRow.code).where(SubjectRow.id == subject_id)
            ).scalar_one()
        )


def subject_id_of(engine: Engine, code: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(SubjectRow.id).where(SubjectRow.code == code)).scalar_one()
        )


def notice_ids(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(SubjectRow.code, NoticeRow.kind, NoticeRow.id).join(
                SubjectRow, SubjectRow.id == NoticeRow.subject_id
            )
        )
        return {(code, kind): notice_id for code, kind, notice_id in rows}


def build_outbox(engine: Engine) -> Outbox:
    customers = NoticeWorld(engine)
    red = code_of(engine, customers.subject("红色客户", arrears_months=4))
    yellow = code_of(engine, customers.subject("黄色客户", arrears_months=2.5, phone=YELLOW_PHONE))
    caller = code_of(engine, customers.subject("电话客户", arrears_months=2.5, phone="13700009999"))
    with engine.begin() as connection:
        notice_contacts.set_opt_out(
            connection, None, caller, "sms", opted_out=True, reason="客户要求"
        )
    run_id = save_run(engine, "lianshui-water")
    return Outbox(run_id, red, yellow, caller, notice_ids(engine))


def notice(engine: Engine, notice_id: int) -> NoticeLine:
    with engine.connect() as connection:
        found = get_notice(connection, notice_id)
    assert found is not None
    return found


def notice_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(NoticeRow)).scalar_one())


# ---- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
        notices=NoticeSettings(_env_file=None, receipt_token=SecretStr(GATEWAY_TOKEN)),
    )


@pytest.fixture
def outbox(engine: Engine, world: World) -> Outbox:
    return build_outbox(engine)


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Response, status: int, *fields: str) -> dict[str, Any]:
    """The error body, naming every one of ``fields``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(fields) <= {f["field"] for f in error["fields"]}, (fields, error)
    return error


def listed(client: TestClient, world: World, user: str, query: str = "") -> list[dict[str, Any]]:
    body = ok(client.get(f"/api/notices?limit=200&{query}", headers=world.headers(user)))
    assert body["has_more"] is False
    items: list[dict[str, Any]] = body["items"]
    return items


# ---- the list ---------------------------------------------------------------------------------


def test_the_list_is_newest_first_filtered_and_of_the_readers_utilities(
    client: TestClient, world: World, outbox: Outbox, engine: Engine
) -> None:
    items = listed(client, world, "op-water")
    ids = [n["id"] for n in items]
    assert len(ids) == notice_count(engine) == len(outbox.ids) == 8
    assert ids == sorted(ids, reverse=True)
    assert {n["utility"] for n in items} == {"water"}
    assert {n["run_id"] for n in items} == {outbox.run_id}

    def kinds_of(query: str) -> set[tuple[str, str]]:
        return {(n["subject_code"], n["kind"]) for n in listed(client, world, "op-water", query)}

    assert kinds_of("channel=letter") == {
        (WATER_ONLY, "notice_letter"),
        (outbox.red, "notice_letter"),
    }
    assert kinds_of("channel=call&status=queued") == {(outbox.caller, "reminder")}
    assert kinds_of(f"subject={outbox.red}") == {
        (outbox.red, "notice_letter"),
        (outbox.red, "letter_pointer"),
    }
    assert {k for _, k in kinds_of("kind=letter_pointer&kind=notice_letter")} == {
        "letter_pointer",
        "notice_letter",
    }
    assert len(kinds_of(f"run_id={outbox.run_id}")) == 8
    assert kinds_of("run_id=999999") == set()
    assert kinds_of("batch_id=1") == set()
    assert kinds_of("status=delivered") == set()
    refused(
        client.get("/api/notices?status=bogus", headers=world.headers("op-water")), 422, "status.0"
    )

    # A user of the other utility sees none of them, and not one by its id or subject.
    assert listed(client, world, "op-power") == []
    power = world.headers("op-power")
    refused(client.get(f"/api/notices/{ids[0]}", headers=power), 404)
    refused(client.get(f"/api/notices?subject={outbox.red}", headers=power), 404)
    assert ok(client.get("/api/notices/summary", headers=power))["total"] == 0


@pytest.mark.sqlite_only  # what the front door shows; the same on either store
def test_contacts_and_id_numbers_are_masked_for_readers_without_view_unmasked(
    client: TestClient, world: World, outbox: Outbox, engine: Engine, settings: Settings
) -> None:
    person_id = subject_id_of(engine, PERSON)
    masked_person = display_code(PERSON, "natural", clear=False, rule=masking(settings))
    for reader in ("office", "auditor-water"):  # read, but no view_unmasked
        response = client.get("/api/notices?limit=200", headers=world.headers(reader))
        items = ok(response)["items"]
        assert RED_PHONE not in response.text and YELLOW_PHONE not in response.text
        assert PERSON not in response.text
        pointer = next(n for n in items if n["id"] == outbox.id(outbox.red, "letter_pointer"))
        assert pointer["recipient"] == "138****5678"
        person = next(n for n in items if n["subject_code"] == masked_person)
        assert person["subject_ref"] == f"id-{person_id}"
        assert person["recipient"] == "136****3333"
        detail = client.get(f"/api/notices/{pointer['id']}", headers=world.headers(reader))
        assert ok(detail)["notice"]["recipient"] == "138****5678"
        assert RED_PHONE not in detail.text
    # Every list an operator sees is masked too (issue 12: "in every list an operator sees");
    # a corrected number is typed in whole.
    items = listed(client, world, "op-water")
    pointer = next(n for n in items if n["id"] == outbox.id(outbox.red, "letter_pointer"))
    assert pointer["recipient"] == "138****5678"
    assert PERSON not in {n["subject_code"] for n in items}


def test_the_summary_counts_by_status_and_channel(
    client: TestClient, world: World, outbox: Outbox
) -> None:
    body = ok(client.get("/api/notices/summary", headers=world.headers("op-water")))
    assert body["total"] == 8
    assert body["by_status"] == {"queued": 8}
    assert body["by_channel"] == {"letter": 2, "sms": 5, "call": 1}
    assert {"status": "queued", "channel": "call", "count": 1} in body["counts"]
    ok(
        client.post(
            f"/api/notices/{outbox.id(outbox.yellow, 'reminder')}/cancel",
            json={"reason": "客户已缴清欠费"},
            headers=world.headers("op-water"),
        )
    )
    body = ok(client.get("/api/notices/summary", headers=world.headers("office")))
    assert body["by_status"] == {"queued": 7, "cancelled": 1}
    assert sum(c["count"] for c in body["counts"]) == body["total"] == 8


# ---- one notice: its history, cancel, resend, a call ------------------------------------------


def test_a_notice_with_its_history_and_cancel_needs_a_reason(
    client: TestClient, world: World, outbox: Outbox, engine: Engine
) -> None:
    notice_id = outbox.id(outbox.yellow, "reminder")
    operator = world.headers("op-water")
    detail = ok(client.get(f"/api/notices/{notice_id}", headers=operator))
    assert detail["notice"]["status"] == "queued"
    assert detail["notice"]["kind_zh"] == "信用等级提醒"
    assert detail["notice"]["channel_zh"] == "短信"
    assert "黄色客户" in detail["notice"]["body"]
    assert detail["attempts"] == []
    assert detail["next_actions"] == ["cancel"]

    url = f"/api/notices/{notice_id}/cancel"
    refused(client.post(url, json={}, headers=operator), 422, "reason")
    refused(client.post(url, json={"reason": "   "}, headers=operator), 422, "reason")
    refused(client.post(url, json={"reason": "重复"}, headers=world.headers("rev-water")), 403)
    refused(client.post(url, json={"reason": "重复"}, headers=world.headers("op-power")), 404)
    assert notice(engine, notice_id).status == "queued"

    done = ok(client.post(url, json={"reason": "客户已缴清欠费"}, headers=operator))
    assert done["notice"]["status"] == "cancelled"
    assert done["next_actions"] == []
    [step] = done["attempts"]
    assert (step["action"], step["from_status"], step["to_status"]) == (
        "cancel",
        "queued",
        "cancelled",
    )
    assert (step["actor"], step["detail"], step["action_zh"]) == (
        "op-water",
        "客户已缴清欠费",
        "取消",
    )
    error = refused(client.post(url, json={"reason": "再取消"}, headers=operator), 422)
    assert error["code"] == "transition_refused"


def test_a_notice_the_dispatcher_failed_is_resent_and_the_gateway_reports_delivery(
    client: TestClient, world: World, outbox: Outbox, engine: Engine, settings: Settings
) -> None:
    operator = world.headers("op-water")
    failed_id = outbox.id(outbox.yellow, "reminder")
    pointer_id = outbox.id(outbox.red, "letter_pointer")
    with GatewayTestServer() as gateway:
        gateway.reject = {YELLOW_PHONE}
        with channels(channel_settings(gateway, None)) as adapters:
            dispatch_once(engine, adapters, channel_settings(gateway, None), clock=lambda: NOW)
            assert notice(engine, failed_id).status == "failed"
            assert notice(engine, pointer_id).status == "sent"

            url = f"/api/notices/{failed_id}/resend"
            refused(
                client.post(url, json={"recipient": "12345"}, headers=operator), 422, "recipient"
            )
            assert notice(engine, failed_id).status == "failed"
            detail = ok(client.post(url, json={"recipient": "13900002222"}, headers=operator))
            assert detail["notice"]["status"] == "queued"
            assert detail["notice"]["recipient"] == "139****2222"
            assert detail["notice"]["last_error"] is None
            assert [(a["action"], a["to_status"]) for a in detail["attempts"]] == [
                ("claim", "sending"),
                ("reject", "failed"),
                ("resend", "queued"),
            ]
            assert detail["attempts"][-1]["actor"] == "op-water"
            refused(client.post(url, headers=operator), 422)  # queued again: nothing to resend

            # a resent notice is due at once by the real clock, or, resent during the quiet
            # hours (21:00-08:00 in Shanghai), when they end: dispatched once it is due
            due = notice(engine, failed_id).due_at
            assert due <= planning.utcnow() or SENDING.quiet.holds(
                due.astimezone(SHANGHAI) - dt.timedelta(minutes=1)
            )
            later = max(due, planning.utcnow()) + dt.timedelta(minutes=1)
            dispatch_once(engine, adapters, channel_settings(gateway, None), clock=lambda: later)
        assert notice(engine, failed_id).status == "sent"
        assert gateway.sent[notice(engine, failed_id).key]["to"] == "13900002222"

    pointer_key = notice(engine, pointer_id).key
    resent_key = notice(engine, failed_id).key
    body = {
        "receipts": [
            {"key": pointer_key, "status": "delivered"},
            {"key": resent_key, "status": "failed", "detail": "用户已停机"},
            {"key": "no-such-key", "status": "delivered"},
        ]
    }
    url = "/api/notices/receipts"
    client.cookies.clear()
    refused(client.post(url, json=body), 401)  # no session, no token
    refused(client.post(url, json=body, headers={"Authorization": "Bearer wrong"}), 401)
    refused(client.post(url, json=body, headers=operator), 401)  # a user's token is not it
    assert notice(engine, pointer_id).status == "sent"

    gateway_auth = {"Authorization": f"Bearer {GATEWAY_TOKEN}"}
    answer = ok(client.post(url, json=body, headers=gateway_auth))
    assert answer["results"] == {
        pointer_key: "delivered",
        resent_key: "failed",
        "no-such-key": "unknown",
    }
    delivered, bounced = notice(engine, pointer_id), notice(engine, failed_id)
    assert delivered.status == "delivered" and delivered.delivered_at is not None
    assert (bounced.status, bounced.last_error) == ("failed", "用户已停机")
    again = ok(client.post(url, json={"receipts": body["receipts"][:1]}, headers=gateway_auth))
    assert again["results"] == {pointer_key: "ignored"}
    refused(client.post(url, json={"receipts": []}, headers=gateway_auth), 422, "receipts")

    settings.notices.receipt_token = None  # no token configured: nobody gets in
    refused(client.post(url, json=body, headers=gateway_auth), 401)


def test_a_phone_call_task_is_told_or_not_reached(
    client: TestClient, world: World, outbox: Outbox, engine: Engine
) -> None:
    operator = world.headers("op-water")
    call_id = outbox.id(outbox.caller, "reminder")
    detail = ok(client.get(f"/api/notices/{call_id}", headers=operator))
    assert detail["notice"]["channel"] == "call"
    assert detail["next_actions"] == ["cancel", "reach", "miss"]
    assert "电话客户" in detail["notice"]["body"]  # the SMS text, read to the customer

    url = f"/api/notices/{call_id}/call"
    refused(client.post(url, json={"note": "?"}, headers=operator), 422, "reached")
    missed = ok(client.post(url, json={"reached": False, "note": "无人接听"}, headers=operator))
    assert (missed["notice"]["status"], missed["notice"]["last_error"]) == ("failed", "无人接听")
    ok(client.post(f"/api/notices/{call_id}/resend", headers=operator))
    told = ok(client.post(url, json={"reached": True, "note": "已告知本人"}, headers=operator))
    assert told["notice"]["status"] == "delivered"
    assert told["notice"]["delivered_at"] is not None
    assert [a["action"] for a in told["attempts"]] == ["miss", "resend", "reach"]

    sms = outbox.id(outbox.yellow, "reminder")
    refused(
        client.post(f"/api/notices/{sms}/call", json={"reached": True}, headers=operator),
        422,
        "notice",
    )


# ---- a run's preview ------------------------------------------------------------------------


def test_the_preview_of_a_run_stores_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    NoticeWorld(engine).subject("红色客户", arrears_months=4)
    run_id = save_run(engine, "lianshui-water", plan=False)
    assert notice_count(engine) == 0
    url = f"/api/runs/{run_id}/notices/preview?limit=200"
    response = client.get(url, headers=world.headers("office"))
    body = ok(response)
    assert notice_count(engine) == 0
    assert (body["new"], body["already_planned"], body["unreachable"]) == (6, 0, 0)
    assert body["by_kind_channel"] == {
        "letter_pointer/sms": 2,
        "notice_letter/letter": 2,
        "reminder/sms": 2,
    }
    assert RED_PHONE not in response.text
    assert "138****5678" in {p["recipient"] for p in body["items"]}
    assert {p["subject_name"] for p in body["items"]} >= {"红色客户", "涟水县甲水业用户公司"}
    letters = [p for p in body["items"] if p["channel"] == "letter"]
    assert all(p["body"] is None for p in letters)

    page = ok(
        client.get(f"/api/runs/{run_id}/notices/preview?limit=4", headers=world.headers("office"))
    )
    assert (len(page["items"]), page["has_more"], page["new"]) == (4, True, 6)

    with engine.begin() as connection:
        planning.plan_run(connection, run_id, sending=SENDING, now=NOW)
    assert set(notice_ids(engine)) and notice_count(engine) == 6
    with engine.connect() as connection:
        stored = set(connection.scalars(select(NoticeRow.key)))
    assert stored == {p["key"] for p in body["items"]}
    again = ok(client.get(url, headers=world.headers("office")))
    assert (again["new"], again["already_planned"], again["items"]) == (0, 6, [])

    refused(client.get(url, headers=world.headers("op-power")), 404)
    refused(client.get("/api/runs/999999/notices/preview", headers=world.headers("office")), 404)


# ---- letters and print batches ----------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF"), content[:20]
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.mark.sqlite_only  # what the front door shows; the same on either store
def test_the_letter_of_a_letter_notice_as_a_pdf(
    client: TestClient, world: World, outbox: Outbox
) -> None:
    letter_id = outbox.id(outbox.red, "notice_letter")
    response = client.get(
        f"/api/notices/{letter_id}/letter.pdf", headers=world.headers("rev-water")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "红色客户" in text and "涟水县安东北路1号" in text

    sms = outbox.id(outbox.red, "letter_pointer")
    error = refused(
        client.get(f"/api/notices/{sms}/letter.pdf", headers=world.headers("op-water")), 404
    )
    assert "不是函件" in error["message_zh"]
    # Letters carry names and postal addresses in clear: not for readers without view_unmasked.
    refused(
        client.get(f"/api/notices/{letter_id}/letter.pdf", headers=world.headers("office")), 403
    )
    refused(
        client.get(f"/api/notices/{letter_id}/letter.pdf", headers=world.headers("op-power")), 404
    )


def test_a_print_batch_from_creation_to_posting(
    client: TestClient, world: World, outbox: Outbox, engine: Engine
) -> None:
    operator = world.headers("op-water")
    refused(
        client.post(
            "/api/print-batches", json={"utility": "water"}, headers=world.headers("op-power")
        ),
        404,
    )
    refused(
        client.post("/api/print-batches", json={"utility": "gas"}, headers=operator), 422, "utility"
    )
    made = ok(
        client.post(
            "/api/print-batches", json={"utility": "water", "limit": 500}, headers=operator
        ),
        201,
    )
    batch = made["batch"]
    letters = {outbox.id(WATER_ONLY, "notice_letter"), outbox.id(outbox.red, "notice_letter")}
    assert (batch["status"], batch["letters"], batch["utility"]) == ("created", 2, "water")
    assert batch["created_by"] == "op-water"
    assert {n["id"] for n in made["notices"]} == letters
    assert {n["status"] for n in made["notices"]} == {"batched"}
    assert {n["batch_id"] for n in listed(client, world, "op-water", "channel=letter")} == {
        batch["id"]
    }
    error = refused(
        client.post("/api/print-batches", json={"utility": "water"}, headers=operator), 404
    )
    assert "没有待打印" in error["message_zh"]

    url = f"/api/print-batches/{batch['id']}"
    assert [b["id"] for b in ok(client.get("/api/print-batches", headers=operator))["items"]] == [
        batch["id"]
    ]
    assert ok(client.get("/api/print-batches", headers=world.headers("op-power")))["items"] == []
    refused(client.get(url, headers=world.headers("op-power")), 404)

    text = pdf_text(ok_bytes(client.get(f"{url}/letters.pdf", headers=operator)))
    assert "涟水县甲水业用户公司" in text and "红色客户" in text
    listing = ok_bytes(client.get(f"{url}/print-list.csv", headers=operator)).decode("utf-8")
    assert listing.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(listing.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["序号", "函件编号", "收件人"]
    assert {(r[2], r[3]) for r in rows[1:]} == {
        ("涟水县甲水业用户公司", "涟城镇一号"),
        ("红色客户", "涟水县安东北路1号"),
    }
    refused(client.get(f"{url}/print-list.csv", headers=world.headers("office")), 403)

    refused(client.post(f"{url}/mark", json={"state": "lost"}, headers=operator), 422, "state")
    refused(client.post(f"{url}/mark", json={"state": "posted"}, headers=operator), 422)
    refused(
        client.post(f"{url}/mark", json={"state": "printed"}, headers=world.headers("rev-water")),
        403,
    )
    printed = ok(client.post(f"{url}/mark", json={"state": "printed"}, headers=operator))
    assert (printed["batch"]["status"], printed["batch"]["printed_by"]) == ("printed", "op-water")
    assert {n["status"] for n in printed["notices"]} == {"batched"}
    posted = ok(client.post(f"{url}/mark", json={"state": "posted"}, headers=operator))
    assert posted["batch"]["status"] == "posted"
    assert {n["status"] for n in posted["notices"]} == {"sent"}
    assert all(notice(engine, i).sent_at is not None for i in letters)
    refused(client.post(f"{url}/mark", json={"state": "posted"}, headers=operator), 422)


def ok_bytes(response: Response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content


# ---- a subject's notices, contacts and opt-outs ------------------------------------------------


def test_a_subjects_notices(
    client: TestClient, world: World, outbox: Outbox, engine: Engine, settings: Settings
) -> None:
    body = ok(client.get(f"/api/subjects/{outbox.red}/notices", headers=world.headers("op-water")))
    assert {n["kind"] for n in body["items"]} == {"notice_letter", "letter_pointer"}
    assert {n["subject_code"] for n in body["items"]} == {outbox.red}
    reference = f"id-{subject_id_of(engine, PERSON)}"
    response = client.get(f"/api/subjects/{reference}/notices", headers=world.headers("office"))
    [item] = ok(response)["items"]
    assert item["subject_ref"] == reference
    assert item["subject_code"] == display_code(
        PERSON, "natural", clear=False, rule=masking(settings)
    )
    assert PERSON not in response.text
    refused(
        client.get(f"/api/subjects/{outbox.red}/notices", headers=world.headers("op-power")), 404
    )


def test_contacts_and_opt_outs_but_never_of_the_letter(
    client: TestClient, world: World, engine: Engine
) -> None:
    operator = world.headers("op-water")
    url = f"/api/subjects/{WATER_ONLY}/notice-preferences"
    assert ok(client.get(url, headers=operator)) == {"subject_ref": WATER_ONLY, "preferences": []}

    saved = ok(
        client.put(f"{url}/contacts/email", json={"address": "wang@example.cn"}, headers=operator)
    )
    assert saved["preferences"] == [
        {"channel": "email", "address": "w***@example.cn", "opted_out": False, "reason": None}
    ]
    refused(
        client.put(f"{url}/contacts/email", json={"address": "not-mail"}, headers=operator),
        422,
        "address",
    )
    refused(client.put(f"{url}/contacts/email", json={}, headers=operator), 422, "address")
    refused(
        client.put(f"{url}/contacts/fax", json={"address": "1"}, headers=operator), 422, "channel"
    )

    error = refused(
        client.put(f"{url}/opt-outs/letter", json={"opted_out": True}, headers=operator),
        422,
        "channel",
    )
    assert "书面告知函" in error["message_zh"]
    opted = ok(
        client.put(
            f"{url}/opt-outs/sms", json={"opted_out": True, "reason": "客户要求"}, headers=operator
        )
    )
    assert {p["channel"]: (p["opted_out"], p["reason"]) for p in opted["preferences"]} == {
        "email": (False, None),
        "sms": (True, "客户要求"),
    }
    with engine.connect() as connection:
        contact = outbox_store.contacts(connection, [subject_id_of(engine, WATER_ONLY)])
    [found] = contact.values()
    assert found.email == "wang@example.cn"
    assert not found.reachable(NoticeChannel.SMS)

    shown = client.get(url, headers=world.headers("office"))
    assert "wang@example.cn" not in shown.text
    assert {p["channel"]: p["address"] for p in ok(shown)["preferences"]}[
        "email"
    ] == "w***@example.cn"

    refused(
        client.put(
            f"{url}/opt-outs/sms", json={"opted_out": False}, headers=world.headers("rev-water")
        ),
        403,
    )
    refused(
        client.put(
            f"{url}/opt-outs/sms", json={"opted_out": False}, headers=world.headers("op-power")
        ),
        404,
    )
    refused(client.get(url, headers=world.headers("op-power")), 404)
    back = ok(client.put(f"{url}/opt-outs/sms", json={"opted_out": False}, headers=operator))
    assert [p["channel"] for p in back["preferences"]] == ["email"]
    forgotten = ok(client.put(f"{url}/contacts/email", json={"address": None}, headers=operator))
    assert forgotten["preferences"] == []

    reference = f"id-{subject_id_of(engine, PERSON)}"
    person = ok(
        client.put(
            f"/api/subjects/{reference}/notice-preferences/contacts/wechat",
            json={"address": "oAbCdEf123456"},
            headers=operator,
        )
    )
    assert person["subject_ref"] == reference
    assert person["preferences"][0]["address"] == "oAbC****"
