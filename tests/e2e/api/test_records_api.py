"""The dishonesty-record register through its REST API, on SQLite and PostgreSQL (issue 10
items 7 and 8): derive, list, read, confirm, object (with an upload) and decide, apply for
repair and take it to its end, the repair commitment, attachments, masking, and bad input
refused with nothing changed.

The app's "today" is pinned to :data:`TODAY` (the records router reads it once per request) so
that dates and working-day counts are exact; the world's cases are dated earlier in 2026.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select

from tests.e2e.api.world import (
    BOTH,
    COMMITMENT_SIGNED_ON,
    OBJECTED_ON,
    PDF_BYTES,
    PERSON,
    REPAIRABLE_FROM,
    Casework,
    World,
)
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.api.routers import records as records_router
from utilcredit.config import RecordsSettings, Settings
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import IncidentRow
from utilcredit.policies.service import policy_at
from utilcredit.rating.dates import add_months
from utilcredit.rating.runs import reads as run_reads
from utilcredit.rating.runs import service as runs
from utilcredit.rating.sql.engines import ReferenceEngine
from utilcredit.records import derivation, service
from utilcredit.records.tables import (
    CaseAttachmentRow,
    CaseEventRow,
    DishonestyRecordRow,
    ObjectionRow,
    RepairRow,
)
from utilcredit.workdays import service as workdays

TODAY = dt.date(2026, 11, 30)  # a Monday
MAX_BYTES = 4096  # the smallest attachment limit the settings allow
WATER_POLICY = "shaoguan-water"
BOTH_NAME = "涟水县丙综合公司"  # BOTH's name; its water account is W3
PROOF = ("files", ("证明.pdf", PDF_BYTES, "application/pdf"))


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
        records=RecordsSettings(attachment_max_bytes=MAX_BYTES),
    )


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_router, "today", lambda: TODAY)


@pytest.fixture
def cases(engine: Engine, world: World, settings: Settings, tmp_path: Path) -> Casework:
    return Casework(engine, world, tmp_path / "casework", settings)


# ---- helpers --------------------------------------------------------------------------------


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Response, status: int, *needles: str) -> dict[str, Any]:
    """The existing error shape, with every needle in its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "message_zh", "message_en", "fields"}, error
    for needle in needles:
        assert needle in error["message"], (needle, error["message"])
    return error


def ids(body: dict[str, Any]) -> set[int]:
    return {int(item["id"]) for item in body["items"]}


def store_state(engine: Engine, data_dir: Path) -> dict[str, Any]:
    """Everything a refused request must leave as it was: every case and its state, the
    history, the attachments and the files stored for them."""
    with engine.connect() as connection:

        def states(table: Any) -> list[tuple[int, str]]:
            rows = connection.execute(select(table.id, table.status).order_by(table.id))
            return [(row.id, row.status) for row in rows]

        def count(table: Any, *where: Any) -> int:
            statement = select(func.count()).select_from(table).where(*where)
            return int(connection.execute(statement).scalar_one())

        state = {
            "records": states(DishonestyRecordRow),
            "objections": states(ObjectionRow),
            "repairs": states(RepairRow),
            "attachments": count(CaseAttachmentRow),
            "events": count(CaseEventRow),
            "set_aside": count(IncidentRow, IncidentRow.set_aside_by.is_not(None)),
        }
    folder = data_dir / "attachments"
    state["files"] = sorted(p.name for p in folder.rglob("*") if p.is_file())
    return state


def rate(engine: Engine, policy_key: str, as_of: dt.date) -> None:
    """A complete rating run of the policy: what re-rating after a case builds on."""
    loaded = policy_at(policy_key, as_of)
    with engine.begin() as connection:
        run_id = runs.begin_run(connection, loaded, as_of, engine="reference", actor="test")
    with engine.begin() as connection:
        runs.write_run(connection, run_id, loaded, ReferenceEngine())


def live_level(client: TestClient, world: World, code: str) -> str:
    body = ok(
        client.get(
            f"/api/subjects/{code}/rating",
            params={"policy": WATER_POLICY, "as_of": TODAY.isoformat()},
            headers=world.headers("op-water"),
        )
    )
    level: str = body["computed_level"]
    return level


def working_days(engine: Engine, start: dt.date, n: int) -> tuple[dt.date, int]:
    """The deadline n working days after ``start`` and the working days left to it today."""
    with engine.connect() as connection:
        due = workdays.deadline(connection, start, n)
        left = workdays.calendar(connection).working_days_between(TODAY, due)
    return due, left


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---- the whole flow: derive → list → detail → confirm → object → remove → re-rated ------------


def test_derive_list_confirm_object_and_remove_rerates(
    client: TestClient, world: World, engine: Engine, cases: Casework
) -> None:
    operator, reviewer = world.headers("op-water"), world.headers("rev-water")
    # An objection filed on 2026-06-01 and never decided: overdue today.
    overdue_objection = cases.objection(Utility.WATER)
    overdue_record = ok(client.get(f"/api/objections/{overdue_objection}", headers=operator))[
        "record_id"
    ]
    theft_no = cases.incident(Utility.WATER, account="W3")  # BOTH, otherwise clean
    violation_no = cases.incident(Utility.WATER, kind="violation", account="W1")
    rate(engine, WATER_POLICY, TODAY)
    level_with_theft = live_level(client, world, BOTH)

    derived = ok(
        client.post(
            "/api/records/derive",
            json={"policy": WATER_POLICY, "as_of": "2026-03-01"},
            headers=operator,
        )
    )
    assert (derived["policy_key"], derived["as_of"], derived["withdrawn"]) == (
        WATER_POLICY,
        "2026-03-01",
        [],
    )
    assert len(derived["created"]) == 2
    by_summary = {
        ok(client.get(f"/api/records/{i}", headers=operator))["record"]["kind"]: i
        for i in derived["created"]
    }
    theft, violation = by_summary["theft"], by_summary["violation"]
    again = ok(
        client.post(
            "/api/records/derive",
            json={"policy": WATER_POLICY, "as_of": "2026-03-01"},
            headers=operator,
        )
    )
    assert again["created"] == [] and again["unchanged"] >= 2  # idempotent

    def listed(**params: Any) -> set[int]:
        return ids(ok(client.get("/api/records", params=params, headers=operator)))

    assert listed() == {theft, violation, overdue_record}
    assert listed(status="candidate") == {theft, violation}
    assert listed(status=["candidate", "under_objection"]) == {theft, violation, overdue_record}
    assert listed(kind="violation") == {violation}
    assert listed(kind="theft") == {theft, overdue_record}
    assert listed(status="candidate", kind="theft") == {theft}
    assert listed(**{"class": "general"}) == {theft, violation, overdue_record}
    assert listed(**{"class": "serious"}) == set()
    assert listed(overdue="true") == {overdue_record}
    assert listed(policy=WATER_POLICY, status="published") == set()
    refused(client.get("/api/records", params={"status": "nonsense"}, headers=operator), 422)
    # Another utility's readers see none of it.
    assert ids(ok(client.get("/api/records", headers=world.headers("op-power")))) == set()
    assert ids(ok(client.get("/api/objections", params={"overdue": "true"}, headers=operator))) == {
        overdue_objection
    }

    detail = ok(client.get(f"/api/records/{theft}", headers=operator))
    assert detail["record"]["status"] == "candidate"
    assert detail["record"]["subject_code"] == BOTH and detail["record"]["subject_ref"] == BOTH
    assert [(e["evidence_type"], e["label"], e["on"]) for e in detail["evidence"]] == [
        ("incident", theft_no, "2026-02-02")
    ]
    assert [(h["action"], h["to_status"], h["actor"]) for h in detail["history"]] == [
        ("derive", "candidate", "op-water")
    ]
    assert detail["deadlines"] == [] and detail["objections"] == detail["repairs"] == []
    assert set(detail["next_actions"]) == {"confirm", "dismiss"}
    assert violation_no not in str(detail)

    # An operator may not confirm; the reviewer does: determined today, published at once.
    refused(client.post(f"/api/records/{theft}/confirm", json={}, headers=operator), 403)
    confirmed = ok(
        client.post(f"/api/records/{theft}/confirm", json={"note": "证据确实"}, headers=reviewer)
    )
    record = confirmed["record"]
    assert (record["status"], record["determined_on"], record["publish_from"]) == (
        "published",
        TODAY.isoformat(),
        TODAY.isoformat(),
    )
    assert record["repairable_from"] == add_months(TODAY, 3).isoformat()
    assert [(h["action"], h["actor"]) for h in confirmed["history"]] == [
        ("derive", "op-water"),
        ("confirm", "rev-water"),
        ("publish", "system"),
    ]
    assert listed(status="published") == {theft}

    # The objection, with a PDF (multipart).
    filed = ok(
        client.post(
            "/api/objections",
            data={"record_id": str(theft), "reason": "系表计故障，并非窃水"},
            files=[PROOF],
            headers=operator,
        ),
        201,
    )
    due, left = working_days(engine, TODAY, 5)
    assert (filed["status"], filed["filed_by"], filed["filed_on"], filed["due_on"]) == (
        "filed",
        "op-water",
        TODAY.isoformat(),
        due.isoformat(),
    )
    [attached] = filed["attachments"]
    assert (attached["file_name"], attached["content_type"], attached["size"]) == (
        "证明.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    assert "sha256" not in attached
    detail = ok(client.get(f"/api/records/{theft}", headers=operator))
    assert detail["record"]["status"] == "under_objection"
    assert detail["deadlines"] == [
        {
            "what": "异议处理决定",
            "case": f"objection {filed['id']}",
            "due_on": due.isoformat(),
            "working_days_left": left,
        }
    ]
    assert left == 5  # Monday: the five working days to the next Monday
    assert [o["id"] for o in detail["objections"]] == [filed["id"]]
    assert detail["objections"][0]["attachments"][0]["id"] == attached["id"]

    download = client.get(f"/api/attachments/{attached['id']}", headers=reviewer)
    assert download.status_code == 200, download.text
    assert download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    refused(
        client.get(f"/api/attachments/{attached['id']}", headers=world.headers("op-power")), 404
    )

    # Decided: removed. The record stops counting and the subject is re-rated at once.
    decided = ok(
        client.post(
            f"/api/objections/{filed['id']}/decision",
            json={"decision": "remove", "note": "经核实系表计故障"},
            headers=reviewer,
        )
    )
    assert (decided["status"], decided["decided_by"], decided["decided_on"]) == (
        "removed",
        "rev-water",
        TODAY.isoformat(),
    )
    detail = ok(client.get(f"/api/records/{theft}", headers=operator))
    assert detail["record"]["status"] == "removed"
    assert detail["record"]["publication_stopped_on"] == TODAY.isoformat()
    assert detail["deadlines"] == []
    assert detail["history"][-1]["action"] == "remove"
    level_now = live_level(client, world, BOTH)
    assert level_now != level_with_theft
    with engine.connect() as connection:
        change = run_reads.history(connection, BOTH, WATER_POLICY)[-1]
    assert change.to_level is not None and change.to_level.value == level_now
    assert change.cause.case == f"异议 {filed['id']} 决定删除失信记录 {theft}"
    rating = ok(
        client.get(
            f"/api/subjects/{BOTH}/rating",
            params={"policy": WATER_POLICY, "as_of": TODAY.isoformat()},
            headers=operator,
        )
    )
    assert rating["history"][0]["level"] == level_now  # newest first


# ---- repair: refused before the minimum period, then applied, accepted, decided, closed ------


def test_repair_waits_for_the_minimum_period_then_runs_to_its_end(
    client: TestClient, world: World, engine: Engine, cases: Casework, settings: Settings
) -> None:
    operator, reviewer = world.headers("op-water"), world.headers("rev-water")
    fresh = cases.candidate(Utility.WATER)
    ok(client.post(f"/api/records/{fresh}/confirm", json={}, headers=reviewer))
    first_day = add_months(TODAY, 3)
    before = store_state(engine, settings.data_dir)
    error = refused(
        client.post(
            "/api/repairs",
            data={
                "record_id": str(fresh),
                "statement": "已停止违法行为并补缴",
                "commitment_signed_on": TODAY.isoformat(),
            },
            files=[PROOF],
            headers=operator,
        ),
        422,
        first_day.isoformat(),
        "minimum_period",
    )
    assert error["code"] == "invalid_input"
    assert first_day.isoformat() in error["message_zh"]
    assert store_state(engine, settings.data_dir) == before

    # A record determined on 2026-03-02 may be repaired from 2026-06-02.
    record_id = cases.published(Utility.WATER, account="W3")
    rate(engine, WATER_POLICY, TODAY)
    level_before = live_level(client, world, BOTH)
    detail = ok(client.get(f"/api/records/{record_id}", headers=operator))
    assert detail["record"]["repairable_from"] == REPAIRABLE_FROM.isoformat()
    applied = ok(
        client.post(
            "/api/repairs",
            data={
                "record_id": str(record_id),
                "statement": "已停止违法行为并补缴全部费用",
                "commitment_signed_on": COMMITMENT_SIGNED_ON.isoformat(),
            },
            files=[PROOF],
            headers=operator,
        ),
        201,
    )
    accept_due, _ = working_days(engine, TODAY, 3)
    assert (applied["status"], applied["submitted_by"], applied["accept_due_on"]) == (
        "submitted",
        "op-water",
        accept_due.isoformat(),
    )
    assert {c["key"]: c["met"] for c in applied["conditions"]} == {
        "minimum_period": True,
        "proof": True,
        "commitment": True,
    }
    assert len(applied["attachments"]) == 1
    repair_id = applied["id"]

    refused(client.post(f"/api/repairs/{repair_id}/accept", headers=operator), 403)
    accepted = ok(client.post(f"/api/repairs/{repair_id}/accept", headers=reviewer))
    decide_due, decide_left = working_days(engine, TODAY, 10)
    assert (accepted["status"], accepted["accepted_by"], accepted["decide_due_on"]) == (
        "accepted",
        "rev-water",
        decide_due.isoformat(),
    )
    deadlines = ok(client.get(f"/api/records/{record_id}", headers=operator))["deadlines"]
    assert deadlines == [
        {
            "what": "修复认定",
            "case": f"repair {repair_id}",
            "due_on": decide_due.isoformat(),
            "working_days_left": decide_left,
        }
    ]

    decided = ok(
        client.post(
            f"/api/repairs/{repair_id}/decision",
            json={"decision": "approved", "note": "材料属实"},
            headers=reviewer,
        )
    )
    assert (decided["status"], decided["decision"], decided["decided_on"]) == (
        "decided",
        "approved",
        TODAY.isoformat(),
    )
    record = ok(client.get(f"/api/records/{record_id}", headers=operator))["record"]
    assert (record["status"], record["publication_stopped_on"]) == ("repaired", TODAY.isoformat())
    assert live_level(client, world, BOTH) != level_before
    with engine.connect() as connection:
        change = run_reads.history(connection, BOTH, WATER_POLICY)[-1]
    assert change.cause.case == f"修复申请 {repair_id} 准予修复失信记录 {record_id}"

    closed = ok(client.post(f"/api/repairs/{repair_id}/close", headers=reviewer))
    assert (closed["status"], closed["closed_by"], closed["closed_on"]) == (
        "closed",
        "rev-water",
        TODAY.isoformat(),
    )
    assert ids(ok(client.get("/api/repairs", params={"status": "closed"}, headers=operator))) == {
        repair_id
    }
    history = ok(client.get(f"/api/records/{record_id}", headers=operator))["history"]
    repair_steps = [h["action"] for h in history if h["case_type"] == "repair"]
    assert repair_steps == ["submit", "accept", "approve", "close"]


def test_the_filer_may_not_decide_their_own_repair(
    client: TestClient, world: World, engine: Engine, cases: Casework
) -> None:
    with engine.begin() as connection:
        access.create_user(
            connection,
            username="dual-water",
            display_name=None,
            password="correct-horse-9",
            roles=frozenset({Role.OPERATOR, Role.REVIEWER}),
            utilities=frozenset({Utility.WATER}),
            actor="setup",
        )
        principal = access.authenticate(connection, "dual-water", "correct-horse-9")
        assert principal is not None
        token = access.issue_token(connection, principal)
    dual = {"Authorization": f"Bearer {token}"}
    record_id = cases.published(Utility.WATER)
    applied = ok(
        client.post(
            "/api/repairs",
            data={
                "record_id": str(record_id),
                "statement": "已停止违法行为",
                "commitment_signed_on": COMMITMENT_SIGNED_ON.isoformat(),
            },
            files=[PROOF],
            headers=dual,
        ),
        201,
    )
    refused(client.post(f"/api/repairs/{applied['id']}/accept", headers=dual), 422, "cannot decide")
    ok(client.post(f"/api/repairs/{applied['id']}/accept", headers=world.headers("rev-water")))


# ---- bad input (issue 10 item 8): refused, and nothing changed ----------------------------------


def test_bad_objections_and_repairs_are_refused_and_change_nothing(
    client: TestClient, world: World, engine: Engine, cases: Casework, settings: Settings
) -> None:
    operator = world.headers("op-water")
    # A record determined on 2025-01-10: published for a year, expired since 2026-01-10.
    cases.incident(Utility.WATER, occurred_on=dt.date(2024, 12, 1), account="W3")
    with engine.begin() as connection:
        loaded = policy_at(WATER_POLICY, dt.date(2025, 1, 1))
        [expired] = derivation.derive(
            connection, loaded, dt.date(2025, 1, 1), settings=settings.records
        ).created
        service.confirm(
            connection,
            world.users["rev-water"].principal,
            expired,
            today=dt.date(2025, 1, 10),
            settings=settings.records,
        )
        derivation.advance(connection, TODAY)
    objection = cases.objection(Utility.WATER)
    objected = ok(client.get(f"/api/objections/{objection}", headers=operator))["record_id"]
    repair = cases.repair(Utility.WATER)
    repaired = ok(client.get(f"/api/repairs/{repair}", headers=operator))["record_id"]
    published = cases.published(Utility.WATER)

    def objection_to(record_id: int, *files: Any) -> Response:
        response: Response = client.post(
            "/api/objections",
            data={"record_id": str(record_id), "reason": "认定有误，请予更正"},
            files=list(files) or None,
            headers=operator,
        )
        return response

    def repair_of(record_id: int, *files: Any) -> Response:
        response: Response = client.post(
            "/api/repairs",
            data={
                "record_id": str(record_id),
                "statement": "已停止违法行为",
                "commitment_signed_on": COMMITMENT_SIGNED_ON.isoformat(),
            },
            files=list(files) or [PROOF],
            headers=operator,
        )
        return response

    too_large = ("files", ("大文件.pdf", b"%PDF-1.4\n" + b"0" * MAX_BYTES, "application/pdf"))
    not_a_pdf = ("files", ("证明.pdf", b"just some text, not a PDF", "application/pdf"))
    bad_requests: list[tuple[str, Callable[[], Response], int, tuple[str, ...]]] = [
        ("no such record", lambda: objection_to(987654), 404, ("987654",)),
        ("expired", lambda: objection_to(expired), 422, ("has expired",)),
        (
            "already under objection",
            lambda: objection_to(objected, PROOF),
            422,
            (f"already under objection {objection}",),
        ),
        (
            "second repair application",
            lambda: repair_of(repaired),
            422,
            (f"open repair application {repair}",),
        ),
        ("too large", lambda: objection_to(published, too_large), 422, ("大文件.pdf", "larger")),
        ("not a PDF or image", lambda: objection_to(published, not_a_pdf), 422, ("not a PDF",)),
        ("repair proof too large", lambda: repair_of(published, too_large), 422, ("larger",)),
        ("repair proof not a PDF", lambda: repair_of(published, not_a_pdf), 422, ("not a PDF",)),
    ]
    before = store_state(engine, settings.data_dir)
    for name, send, status, needles in bad_requests:
        error = refused(send(), status, *needles)
        assert error["code"] == ("not_found" if status == 404 else "invalid_input"), name
        assert store_state(engine, settings.data_dir) == before, name
    # The objection that stands is still the one filed on OBJECTED_ON, and still open.
    found = ok(client.get(f"/api/objections/{objection}", headers=operator))
    assert (found["status"], found["filed_on"]) == ("filed", OBJECTED_ON.isoformat())


# ---- the repair commitment, masking ---------------------------------------------------------------


def test_the_repair_commitment_prints_as_pdf_and_html(
    client: TestClient, world: World, cases: Casework
) -> None:
    record_id = cases.published(Utility.WATER, account="W3")
    response = client.get(
        f"/api/records/{record_id}/repair-commitment", headers=world.headers("op-water")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    text = squeeze(
        "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    )
    assert "信用修复承诺书" in text and BOTH_NAME in text and BOTH in text

    html = client.get(
        f"/api/records/{record_id}/repair-commitment",
        params={"format": "html"},
        headers=world.headers("office"),
    )
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    assert "信用修复承诺书" in squeeze(html.text) and BOTH_NAME in html.text
    refused(
        client.get(
            f"/api/records/{record_id}/repair-commitment", headers=world.headers("op-power")
        ),
        404,
    )
    refused(
        client.get(
            f"/api/records/{record_id}/repair-commitment",
            params={"format": "docx"},
            headers=world.headers("op-water"),
        ),
        422,
    )


def test_a_natural_persons_number_is_masked_without_view_unmasked(
    client: TestClient, world: World, cases: Casework
) -> None:
    record_id = cases.published(Utility.WATER, account="W4")  # 张三丰, a natural person
    clear = ok(client.get(f"/api/records/{record_id}", headers=world.headers("op-water")))
    assert clear["record"]["subject_code"] == PERSON
    for reader in ("auditor-water", "office"):  # read, but not view_unmasked
        headers = world.headers(reader)
        for response in (
            client.get(f"/api/records/{record_id}", headers=headers),
            client.get("/api/records", headers=headers),
            client.get(
                f"/api/records/{record_id}/repair-commitment",
                params={"format": "html"},
                headers=headers,
            ),
        ):
            assert response.status_code == 200, response.text
            assert PERSON not in response.text, reader
    masked = ok(client.get(f"/api/records/{record_id}", headers=world.headers("office")))
    record = masked["record"]
    assert record["subject_code"] != PERSON and "*" in record["subject_code"]
    assert record["subject_code"][-1] == PERSON[-1]  # the mask keeps the check character
    assert record["subject_ref"].startswith("id-") and PERSON not in record["subject_ref"]
    assert record["subject_name"] == "张三丰"


def test_derive_refuses_a_day_after_today_and_changes_nothing(
    client: TestClient, world: World, engine: Engine, cases: Casework, settings: Settings
) -> None:
    """Derivation runs the calendar for its day: a later day would expire publications early."""
    record_id = cases.published(Utility.WATER)  # published until 2027-03-01
    cases.incident(Utility.WATER, account="W3")  # not yet derived
    before = store_state(engine, settings.data_dir)
    error = refused(
        client.post(
            "/api/records/derive",
            json={"policy": WATER_POLICY, "as_of": "2027-06-01"},
            headers=world.headers("op-water"),
        ),
        422,
        "after today",
    )
    assert [f["field"] for f in error["fields"]] == ["as_of"]
    assert store_state(engine, settings.data_dir) == before
    record = ok(client.get(f"/api/records/{record_id}", headers=world.headers("op-water")))
    assert record["record"]["status"] == "published"
    # Today itself (the default) is allowed.
    derived = ok(
        client.post(
            "/api/records/derive", json={"policy": WATER_POLICY}, headers=world.headers("op-water")
        )
    )
    assert derived["as_of"] == TODAY.isoformat() and len(derived["created"]) == 1
