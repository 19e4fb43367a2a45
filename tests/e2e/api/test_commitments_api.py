"""Credit commitments, credit-based applications and measures through the REST API, on SQLite
and PostgreSQL (issue 11 item 5): Zhanjiang's counter flow from submit to power-on with the
pilot zones set by an admin, the eligibility requirement by requirement, the printed letter,
the obligation's deadline, the measures that apply and their grant, a breach, masking, another
utility's commitment, and bad input refused with the field named and nothing written.

The app's "today" is pinned to :data:`TODAY` (both routers read it once per request).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select, update

from tests.e2e.api.world import World
from tests.integration.applications.test_counter_flow import HONEST_POWER, _report
from tests.integration.records.builders import Store
from utilcredit.api.routers import applications as applications_router
from utilcredit.api.routers import commitments as commitments_router
from utilcredit.applications.tables import ApplicationRow
from utilcredit.config import ConsoleSettings, Settings
from utilcredit.customers.tables import CommitmentRow, IncidentRow, SubjectRow
from utilcredit.rating.dates import add_months

TODAY = dt.date(2026, 11, 30)
APPLICANT = HONEST_POWER["uscc"]  # 91440800MA4UTEST1X, a legal person with a power account
ZONES = (
    ("湛江经济技术开发区", "石化产业园区"),
    ("湛江经济技术开发区", "钢铁产业园区"),
    ("湛江奋勇高新技术产业开发区", "东盟产业园区"),
)
ADDRESS = "湛江市经开区石化大道 1 号"


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    # Zhanjiang's policy is the power utility's: the measures are computed under it.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
        console=ConsoleSettings(
            default_policies={"water": "lianshui-water", "power": "zhanjiang-power"}
        ),
    )


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commitments_router, "today", lambda: TODAY)
    monkeypatch.setattr(applications_router, "today", lambda: TODAY)


@pytest.fixture
def applicant(engine: Engine, world: World) -> str:
    """Zhanjiang's applicant: founded in 2010, a clean power account since 2012, a 信用中国
    report downloaded two days ago, a 信用广东 one older. The pilot zones are not set: the store starts empty."""
    with engine.begin() as connection:
        store = Store(connection, code=APPLICANT)
        connection.execute(
            update(SubjectRow)
            .where(SubjectRow.id == store.subject_id)
            .values(founded_on=dt.date(2010, 5, 1))
        )
        store.account("P-0001", utility="power", opened=dt.date(2012, 1, 1))
        _report(connection, store.subject_id, TODAY - dt.timedelta(days=2))
        # the rating's own source (守信用电主体: not on the serious list of 信用广东)
        _report(connection, store.subject_id, TODAY - dt.timedelta(days=40), source="guangdong")
    return APPLICANT


# ---- helpers --------------------------------------------------------------------------------


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Response, status: int, *fields: str) -> dict[str, Any]:
    """The error body, naming every one of ``fields``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    named = {f["field"] for f in error["fields"]}
    assert set(fields) <= named, (fields, error)
    return error


def set_zones(client: TestClient, world: World) -> None:
    for district, park in ZONES:
        zone = ok(
            client.put(
                "/api/pilot-zones",
                json={"policy": "zhanjiang-power", "district": district, "park": park},
                headers=world.headers("admin"),
            )
        )
        assert (zone["district"], zone["park"], zone["active"]) == (district, park, True)


def submit(client: TestClient, world: World, **changes: Any) -> Response:
    body = {
        "subject_code": APPLICANT,
        "policy": "zhanjiang-power",
        "business": "new_connection",
        "address": ADDRESS,
        "park": "石化产业园区",
        "documents_present": ["id_proof", "credit_report"],
        **changes,
    }
    response: Response = client.post(
        "/api/applications", json=body, headers=world.headers("op-power")
    )
    return response


def counts(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [
            int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (ApplicationRow, CommitmentRow, IncidentRow)
        ]


def through_connection(client: TestClient, world: World) -> tuple[int, dict[str, Any]]:
    """Zones set, then the counter flow from submit to power-on; the application id and the
    answer of each step by action."""
    set_zones(client, world)
    operator = world.headers("op-power")
    steps: dict[str, Any] = {"submit": ok(submit(client, world), 201)}
    application_id = steps["submit"]["application"]["id"]
    url = f"/api/applications/{application_id}"
    for action, body in (
        ("survey", {"address_type": "rented", "note": "现场核实为租赁厂房"}),
        ("check", None),
        ("sign", {"values": {"relation": "租户", **HONEST_POWER}}),
        ("accept", None),
        ("connect", {"connected_on": TODAY.isoformat()}),
    ):
        steps[action] = ok(client.post(f"{url}/{action}", json=body, headers=operator))
    return application_id, steps


# ---- the counter flow -----------------------------------------------------------------------


def test_zhanjiang_counter_flow_from_submit_to_power_on(
    client: TestClient, world: World, applicant: str
) -> None:
    application_id, steps = through_connection(client, world)
    statuses = [steps[a]["application"]["status"] for a in steps]
    assert statuses == [
        "applied",
        "surveyed",
        "credit_checked",
        "commitment_signed",
        "accepted",
        "connected",
    ]
    assert steps["submit"]["eligibility"] is None
    assert steps["submit"]["next_actions"] == ["survey", "reject", "withdraw"]
    assert steps["survey"]["application"]["address_type"] == "rented"

    # the credit check: every requirement of the policy, met, with its evidence
    eligibility = steps["check"]["eligibility"]
    assert (eligibility["policy"], eligibility["status"]) == ("zhanjiang-power", "met")
    requirements = {r["id"]: r for r in eligibility["requirements"]}
    assert sorted(requirements) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    for requirement in requirements.values():
        assert requirement["status"] == "met", requirement
        assert requirement["text"] and requirement["summary"] and requirement["outcome"]
    assert "5 天内" in requirements["A2"]["text"]
    assert steps["check"]["application"]["eligible"] == "met"
    assert "sign" in steps["check"]["next_actions"]

    # signing made the policy's commitment; accepting put it in force; power-on started
    # the one-year obligation
    signed = steps["sign"]["commitment"]
    assert signed["template_key"] == "honest-power-zhanjiang"
    assert signed["status"] == "made" and signed["application_id"] == application_id
    assert signed["fields"]["unit_name"] == HONEST_POWER["unit_name"]
    assert steps["accept"]["commitment"]["status"] == "in_force"
    assert steps["connect"]["application"]["connected_on"] == TODAY.isoformat()
    assert steps["connect"]["next_actions"] == []

    operator = world.headers("op-power")
    detail = ok(client.get(f"/api/commitments/{signed['id']}", headers=operator))
    by_code = ok(client.get(f"/api/commitments/{signed['code'].lower()}", headers=operator))
    assert by_code == detail
    [obligation] = detail["obligations"]
    due = add_months(TODAY, 12)
    assert (obligation["key"], obligation["status"]) == ("property_documents", "open")
    assert (obligation["starts_on"], obligation["due_on"]) == (TODAY.isoformat(), due.isoformat())
    assert obligation["remind_on"] == (due - dt.timedelta(days=30)).isoformat()
    assert detail["next_actions"] == ["fulfil", "breach", "withdraw"]

    # lists: by application, by status and type; the deadlines of the period
    listed = ok(
        client.get(
            "/api/commitments",
            params={
                "application": application_id,
                "status": "in_force",
                "type": "approval_substitute",
            },
            headers=operator,
        )
    )
    assert [c["id"] for c in listed["items"]] == [signed["id"]]
    none = ok(client.get("/api/commitments", params={"status": "fulfilled"}, headers=operator))
    assert none["items"] == []
    deadlines = ok(
        client.get(
            "/api/commitments/obligations-due",
            params={"start": (due - dt.timedelta(days=1)).isoformat(), "end": due.isoformat()},
            headers=operator,
        )
    )
    assert [(d["commitment_code"], d["obligation"]["id"]) for d in deadlines] == [
        (signed["code"], obligation["id"])
    ]
    later = ok(
        client.get(
            "/api/commitments/obligations-due",
            params={"start": (due + dt.timedelta(days=1)).isoformat()},
            headers=operator,
        )
    )
    assert later == []
    applications = ok(
        client.get("/api/applications", params={"status": "connected"}, headers=operator)
    )
    assert [a["id"] for a in applications["items"]] == [application_id]

    # the papers come in: the obligation is met, then the commitment fulfilled
    met = ok(
        client.post(
            f"/api/commitments/{signed['id']}/obligations/{obligation['id']}/meet",
            json={},
            headers=operator,
        )
    )
    assert met["obligations"][0]["status"] == "met"
    assert met["obligations"][0]["met_on"] == TODAY.isoformat()
    fulfilled = ok(
        client.post(f"/api/commitments/{signed['id']}/fulfil", json={}, headers=operator)
    )
    assert fulfilled["commitment"]["status"] == "fulfilled"
    assert fulfilled["next_actions"] == []


def test_the_letter_is_printed_filled_as_pdf_and_html(
    client: TestClient, world: World, applicant: str
) -> None:
    _, steps = through_connection(client, world)
    commitment_id = steps["sign"]["commitment"]["id"]
    code = steps["sign"]["commitment"]["code"]
    operator = world.headers("op-power")
    pdf = client.get(f"/api/commitments/{commitment_id}/document", headers=operator)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "诚信守法用电承诺书" in text.replace(" ", "")
    html = client.get(
        f"/api/commitments/{commitment_id}/document", params={"format": "html"}, headers=operator
    )
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    for value in (HONEST_POWER["unit_name"], HONEST_POWER["legal_rep_id_number"], code):
        assert value in html.text
    bad = client.get(
        f"/api/commitments/{commitment_id}/document", params={"format": "doc"}, headers=operator
    )
    refused(bad, 422, "format")


def test_an_id_number_in_a_letter_is_masked_for_readers_without_view_unmasked(
    client: TestClient, world: World, applicant: str
) -> None:
    _, steps = through_connection(client, world)
    commitment_id = steps["sign"]["commitment"]["id"]
    number = HONEST_POWER["legal_rep_id_number"]
    clear = ok(client.get(f"/api/commitments/{commitment_id}", headers=world.headers("op-power")))
    office = world.headers("office")  # the credit office reads every utility, masked
    masked = ok(client.get(f"/api/commitments/{commitment_id}", headers=office))
    assert clear["commitment"]["fields"]["legal_rep_id_number"] == number
    shown = masked["commitment"]["fields"]["legal_rep_id_number"]
    assert shown != number and shown[:4] == number[:4] and "*" in shown
    html = client.get(
        f"/api/commitments/{commitment_id}/document", params={"format": "html"}, headers=office
    )
    assert html.status_code == 200 and number not in html.text and shown in html.text


# ---- measures -------------------------------------------------------------------------------


def test_entitlements_list_a_measure_with_its_basis_and_a_grant_is_logged(
    client: TestClient, world: World, applicant: str
) -> None:
    operator = world.headers("op-power")
    before = ok(client.get(f"/api/subjects/{applicant}/entitlements", headers=operator))
    [block] = before
    assert (block["utility"], block["policy"]) == ("power", "zhanjiang-power")
    assert block["designations"] == []  # no commitment yet: not a 守信用电主体
    assert "credit_instead_of_property" not in {m["measure"] for m in block["applies"]}
    refused(
        client.post(
            f"/api/subjects/{applicant}/entitlements/vip_appointment/grant",
            json={},
            headers=operator,
        ),
        422,
        "measure",
    )

    through_connection(client, world)  # the signed commitment is in force
    [block] = ok(client.get(f"/api/subjects/{applicant}/entitlements", headers=operator))
    assert set(block) == {
        "utility",
        "policy",
        "policy_version",
        "as_of",
        "level",
        "designations",
        "applies",
    }
    assert block["designations"] == [{"key": "trustworthy_subject", "title": "守信用电主体"}]
    applies = {m["measure"]: m for m in block["applies"]}
    measure = applies["vip_appointment"]
    assert (measure["title"], measure["kind"]) == ("VIP 预约", "incentive")
    assert (measure["basis"], measure["basis_zh"]) == (
        "designation:trustworthy_subject",
        "守信用电主体",
    )
    assert measure["seed_ref"] and measure["responsible"] == "湛江供电局"

    granted = ok(
        client.post(
            f"/api/subjects/{applicant}/entitlements/vip_appointment/grant",
            json={"note": "预约 12 月 3 日上门"},
            headers=operator,
        ),
        201,
    )
    assert (granted["measure_key"], granted["basis"], granted["granted_on"]) == (
        "vip_appointment",
        "designation:trustworthy_subject",
        TODAY.isoformat(),
    )
    assert granted["granted_by"] == "op-power" and granted["subject_ref"] == applicant
    logged = ok(client.get(f"/api/subjects/{applicant}/grants", headers=operator))
    assert [g["id"] for g in logged] == [granted["id"]]
    # reading is open to readers, granting to operators
    office = world.headers("office")
    assert ok(client.get(f"/api/subjects/{applicant}/grants", headers=office)) == logged
    refused(
        client.post(
            f"/api/subjects/{applicant}/entitlements/vip_appointment/grant",
            json={},
            headers=office,
        ),
        403,
    )


# ---- breach, tenancy, bad input -------------------------------------------------------------


def test_a_reviewer_determines_a_breach_which_becomes_a_record_candidate(
    client: TestClient, world: World, applicant: str
) -> None:
    _, steps = through_connection(client, world)
    commitment_id = steps["sign"]["commitment"]["id"]
    body = {"unfulfilled": "未按承诺补齐物业权属证明", "liability_pursued": "移交执法部门"}
    refused(
        client.post(
            f"/api/commitments/{commitment_id}/breach", json=body, headers=world.headers("op-power")
        ),
        403,
    )
    breached = ok(
        client.post(
            f"/api/commitments/{commitment_id}/breach",
            json=body,
            headers=world.headers("rev-power"),
        )
    )
    code = steps["sign"]["commitment"]["code"]
    assert breached["commitment"]["status"] == "breached"
    assert breached["commitment"]["unfulfilled_content"] == body["unfulfilled"]
    assert breached["incident_no"] == f"{code}-B"
    assert len(breached["record_ids"]) == 1


def test_another_utilitys_commitment_and_application_are_not_found(
    client: TestClient, world: World, engine: Engine, applicant: str
) -> None:
    application_id, steps = through_connection(client, world)
    commitment = steps["sign"]["commitment"]
    water = world.headers("op-water")
    for url in (
        f"/api/commitments/{commitment['id']}",
        f"/api/commitments/{commitment['code']}",
        f"/api/commitments/{commitment['id']}/document?format=html",
        f"/api/applications/{application_id}",
    ):
        error = refused(client.get(url, headers=water), 404)
        assert error["code"] == "not_found"
        assert HONEST_POWER["unit_name"] not in str(error)
    before = counts(engine)
    refused(
        client.post(
            f"/api/commitments/{commitment['id']}/withdraw", json={"reason": "x"}, headers=water
        ),
        404,
    )
    assert counts(engine) == before
    assert ok(client.get("/api/commitments", headers=water))["items"] == []
    assert ok(client.get("/api/applications", headers=water))["items"] == []
    assert ok(client.get("/api/commitments", headers=world.headers("op-power")))["items"]


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    client: TestClient, world: World, engine: Engine, applicant: str
) -> None:
    set_zones(client, world)
    before = counts(engine)
    refused(submit(client, world, park="不存在园区"), 422, "park")
    refused(submit(client, world, business="no_such_business"), 422, "business")
    refused(submit(client, world, applied_on="2026-12-01"), 422, "applied_on")
    refused(submit(client, world, subject_code="91110000710925462X"), 422, "subject_code")
    refused(submit(client, world, policy="no-such-policy"), 422, "policy")
    operator = world.headers("op-power")
    make = {
        "subject_code": applicant,
        "utility": "power",
        "template": "honest-power-zhanjiang",
        "values": HONEST_POWER,
    }
    refused(
        client.post(
            "/api/commitments",
            json={**make, "template": "general-lianshui-water"},
            headers=operator,
        ),
        422,
        "template",
    )
    refused(
        client.post("/api/commitments", json={**make, "account_no": "NO-SUCH"}, headers=operator),
        422,
        "account_no",
    )
    missing = client.post(
        "/api/commitments", json={**make, "values": {"relation": "房东"}}, headers=operator
    )
    assert "relation" in refused(missing, 422)["message"]
    refused(
        client.put(
            "/api/pilot-zones",
            json={
                "policy": "zhanjiang-power",
                "district": "某区",
                "park": "某园",
                "area_code": "44A",
            },
            headers=world.headers("admin"),
        ),
        422,
        "area_code",
    )
    refused(
        client.put(
            "/api/pilot-zones",
            json={"policy": "zhanjiang-power", "district": "某区", "park": "某园"},
            headers=operator,
        ),
        403,
    )
    due = "/api/commitments/obligations-due"
    assert ok(client.get(due, params={"start": "9999-12-31"}, headers=operator)) == []
    refused(
        client.get(due, params={"start": "2026-12-01", "end": "2026-11-01"}, headers=operator),
        422,
        "end",
    )
    assert counts(engine) == before
    zones = ok(
        client.get("/api/pilot-zones", params={"policy": "zhanjiang-power"}, headers=operator)
    )
    assert sorted(z["park"] for z in zones) == sorted(park for _, park in ZONES)

    # a commitment made directly (no application) is recorded, with the blanks the credit
    # file answers filled in
    made = ok(
        client.post(
            "/api/commitments",
            json={
                **make,
                "values": {
                    "relation": "业主",
                    "legal_rep_id_type": "居民身份证",
                    "legal_rep_id_number": HONEST_POWER["legal_rep_id_number"],
                },
            },
            headers=operator,
        ),
        201,
    )
    assert made["commitment"]["status"] == "made"
    assert made["commitment"]["fields"]["uscc"] == applicant
    assert made["commitment"]["fields"]["legal_rep"] == "张三"  # from the credit file
    assert made["obligations"][0]["status"] == "pending"
    assert made["next_actions"] == ["accept", "withdraw"]


def test_commitment_templates_list_their_fields_for_forms(client: TestClient, world: World) -> None:
    found = ok(client.get("/api/commitment-templates", headers=world.headers("office")))
    by_key = {t["key"]: t for t in found}
    zhanjiang = by_key["honest-power-zhanjiang"]
    fields = {f["name"]: f for f in zhanjiang["fields"]}
    assert fields["relation"]["choices"] == ["业主", "租户"]
    assert fields["unit_name"]["required"] is True
    assert zhanjiang["obligations"][0]["due"] == {"years": 1, "months": 0, "after": "connected_on"}
    only = ok(
        client.get(
            "/api/commitment-templates",
            params={"policy": "zhanjiang-power"},
            headers=world.headers("office"),
        )
    )
    assert [t["key"] for t in only] == ["honest-power-zhanjiang", "repair"]


def test_eligibility_is_previewed_before_applying_and_nothing_is_stored(
    client: TestClient, world: World, applicant: str, engine: Engine
) -> None:
    set_zones(client, world)
    url = f"/api/subjects/{APPLICANT}/eligibility"
    headers = world.headers("op-power")
    inside = ok(
        client.get(
            url, params={"policy": "zhanjiang-power", "park": "石化产业园区"}, headers=headers
        )
    )
    outside = ok(
        client.get(url, params={"policy": "zhanjiang-power", "area": "440802"}, headers=headers)
    )
    assert inside["status"] == "met"
    assert {r["id"]: r["status"] for r in outside["requirements"]}["A1"] == "not_met"
    refused(
        client.get(url, params={"policy": "zhanjiang-power", "park": "无此园区"}, headers=headers),
        422,
        "park",
    )
    assert counts(engine) == [0, 0, 0]
