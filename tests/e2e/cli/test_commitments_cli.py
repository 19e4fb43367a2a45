"""``utilcredit commitments | applications | entitlements`` as a utility's counter runs them:
the Typer app in-process against the test store, the roles of the named ``--actor`` users."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select, update
from typer.testing import CliRunner, Result

from tests.integration.records.builders import PASSWORD, Store
from utilcredit.access import passwords
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.applications.tables import ApplicationRow
from utilcredit.cli.main import app
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.config import get_settings
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import CreditReportRow, SubjectRow

pytestmark = pytest.mark.sqlite_only

D = dt.date
CODE = "91440800MA4UTEST1X"
NAME = "韶关示范实业有限公司"  # the builder's subject name
APPLIED = D(2027, 2, 20)
CONNECTED = D(2027, 2, 28)
DUE = D(2028, 2, 28)  # a year after power-on
ZONES = (
    ("湛江经济技术开发区", "石化产业园区"),
    ("湛江经济技术开发区", "钢铁产业园区"),
    ("湛江奋勇高新技术产业开发区", "东盟产业园区"),
)
LETTER = (
    "--field",
    "legal_rep_id_type=居民身份证",
    "--field",
    "legal_rep_id_number=11010519491231002X",
    "--field",
    "relation=租户",
)


@pytest.fixture
def counter(
    engine: Engine, store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """The test store as the CLI's store; an admin, a power operator and a power reviewer;
    a Zhanjiang subject founded in 2010 with a power account and a fresh credit report."""
    monkeypatch.setenv("UTILCREDIT_DATABASE_URL", store_env["UTILCREDIT_DATABASE_URL"])
    monkeypatch.setenv("UTILCREDIT_DATA_DIR", store_env["UTILCREDIT_DATA_DIR"])
    monkeypatch.setenv("UTILCREDIT_CONSOLE_DEFAULT_POLICIES", '{"power": "zhanjiang-power"}')
    get_settings.cache_clear()
    saved = passwords._hasher
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with engine.begin() as connection:
        for name, role in (("admin", Role.ADMIN), ("pop", Role.OPERATOR), ("prev", Role.REVIEWER)):
            access.create_user(
                connection,
                username=name,
                display_name=None,
                password=PASSWORD,
                roles=frozenset({role}),
                utilities=frozenset({Utility.POWER}),
                actor="test",
            )
        store = Store(connection, code=CODE)
        connection.execute(
            update(SubjectRow)
            .where(SubjectRow.id == store.subject_id)
            .values(founded_on=D(2010, 5, 1))
        )
        store.account("P-0001", utility="power", opened=D(2012, 1, 1))
        connection.execute(
            insert(CreditReportRow).values(
                subject_id=store.subject_id,
                source="guangdong",
                issued_on=APPLIED,
                has_dishonesty=False,
                on_serious_list=False,
            )
        )
    yield engine
    passwords.use_hasher(saved)
    get_settings.cache_clear()


def cli(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def jsonl(*args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in cli(*args, "--format", "jsonl").stdout.splitlines()]


def one(*args: str) -> dict[str, Any]:
    [found] = jsonl(*args)
    return found


def squeezed(text: str) -> str:
    """What was printed without any whitespace (the error console wraps long lines)."""
    return "".join(text.split())


def set_zones() -> None:
    for district, park in ZONES:
        cli(
            "applications", "zones", "set", "--policy", "zhanjiang-power",
            "--district", district, "--park", park, "--actor", "admin",
        )  # fmt: skip


def submit(*extra: str, code: int = 0) -> Result:
    return cli(
        "applications", "submit", "--subject", CODE, "--policy", "zhanjiang-power",
        "--business", "new_connection", "--address", "湛江市经开区石化大道 1 号",
        "--present", "id_proof", "--present", "credit_report",
        "--applied-on", APPLIED.isoformat(), "--date", APPLIED.isoformat(),
        "--actor", "pop", *extra, code=code,
    )  # fmt: skip


def step(application_id: int, action: str, *extra: str, on: dt.date = APPLIED) -> dict[str, Any]:
    return one(
        "applications", "advance", str(application_id), action,
        "--actor", "pop", "--date", on.isoformat(), *extra,
    )  # fmt: skip


def test_the_zhanjiang_counter_flow_from_submit_to_connect_and_the_daily_job(
    counter: Engine,
) -> None:
    set_zones()
    zones = jsonl("applications", "zones", "list", "--policy", "zhanjiang-power")
    assert sorted(z["park"] for z in zones) == sorted(park for _, park in ZONES)
    assert all(z["active"] for z in zones)

    submitted = json.loads(submit("--park", "石化产业园区", "--format", "jsonl").stdout)
    application_id = submitted["id"]
    assert submitted["status"] == "applied" and submitted["zone"] is not None
    assert submitted["documents_missing"] == ["property_proof"]

    surveyed = step(application_id, "survey", "--address-type", "rented")
    assert (surveyed["status"], surveyed["address_type"]) == ("surveyed", "rented")

    checked = cli(
        "applications", "check", str(application_id), "--actor", "pop",
        "--date", APPLIED.isoformat(),
    ).stdout  # fmt: skip
    lines = checked.splitlines()
    for requirement in ("A1", "A2", "A3", "A4", "A5", "A6", "A7"):
        [line] = [ln for ln in lines if ln.strip().startswith(requirement + " ")]
        assert line.rstrip().endswith("）") and "：符合" in line, line
    assert "用电地址在试点区域内：符合" in checked
    assert "符合 / met" in checked

    signed = step(application_id, "sign", *LETTER)
    assert signed["status"] == "commitment_signed" and signed["commitment"] is not None
    accepted = step(application_id, "accept")
    assert accepted["status"] == "accepted"
    connected = step(
        application_id, "connect", "--connected-on", CONNECTED.isoformat(), on=CONNECTED
    )
    assert (connected["status"], connected["connected_on"]) == ("connected", "2027-02-28")
    shown = one("applications", "show", str(application_id))
    assert shown["eligibility"]["status"] == "met" and shown["next"] == []

    commitment = one("commitments", "show", str(signed["commitment"]))
    assert commitment["status"] == "in_force"
    assert commitment["fields"]["unit_name"] == NAME  # prefilled from the credit file
    assert commitment["fields"]["relation"] == "租户"
    [obligation] = commitment["obligations"]
    assert (obligation["status"], obligation["due_on"]) == ("open", DUE.isoformat())

    on_due_day = one("commitments", "advance", "--day", DUE.isoformat())
    assert on_due_day["breached"] == []
    day_after = one("commitments", "advance", "--day", (DUE + dt.timedelta(days=1)).isoformat())
    assert day_after["breached"] == [commitment["id"]]
    assert day_after["referred"] == [commitment["id"]]
    assert len(day_after["records"]) == 1
    text = cli("commitments", "advance", "--day", (DUE + dt.timedelta(days=1)).isoformat())
    assert "违诺 / breached 0" in text.stdout  # the daily job is idempotent

    breached = one("commitments", "show", commitment["code"])
    assert breached["status"] == "breached"
    assert breached["obligations"][0]["status"] == "missed"
    assert "停电" in breached["liability_pursued"]
    listed = jsonl("commitments", "list", "--status", "breached")
    assert [c["id"] for c in listed] == [commitment["id"]]


def test_check_prints_every_requirement_and_a_failing_one(counter: Engine) -> None:
    set_zones()
    outside = json.loads(
        submit("--area", "440802", "--format", "jsonl").stdout
    )  # an area code in no zone
    step(outside["id"], "survey")
    result = one(
        "applications", "check", str(outside["id"]), "--actor", "pop",
        "--date", APPLIED.isoformat(),
    )  # fmt: skip
    requirements = {r["id"]: r for r in result["eligibility"]["requirements"]}
    assert sorted(requirements) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    assert requirements["A1"]["status_zh"] == "不符合"
    assert all(r["status"] == "met" for key, r in requirements.items() if key != "A1")
    assert result["eligibility"]["status"] == "not_met"
    text = cli("applications", "show", str(outside["id"])).stdout
    assert "A1 用电地址在试点区域内：不符合" in text
    refused = cli(
        "applications", "advance", str(outside["id"]), "sign", "--actor", "pop",
        "--date", APPLIED.isoformat(), *LETTER, code=2,
    )  # fmt: skip
    assert "信用核查未通过" in squeezed(refused.stderr)


def test_an_unknown_park_is_refused_with_the_field_named_and_nothing_written(
    counter: Engine,
) -> None:
    set_zones()
    refused = submit("--park", "不存在园区", code=2)
    said = squeezed(refused.stderr)
    assert "未知的试点园区：不存在园区" in said and "field:park" in said
    assert "石化产业园区" in said  # the choices
    with counter.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ApplicationRow)).scalar() == 0
    assert jsonl("applications", "list") == []

    bad_field = cli(
        "commitments", "make", "--subject", CODE, "--utility", "power",
        "--template", "honest-power-zhanjiang", "--made-on", "2027-02-20",
        "--field", "relation", "--actor", "pop", code=2,
    )  # fmt: skip
    assert "field:field" in squeezed(bad_field.stderr)
    bad_date = cli("applications", "check", "1", "--actor", "pop", "--date", "2027-02-30", code=2)
    assert "field:date" in squeezed(bad_date.stderr)


def _made(*extra: str) -> dict[str, Any]:
    return one(
        "commitments", "make", "--subject", CODE, "--utility", "power",
        "--template", "honest-power-zhanjiang", "--made-on", APPLIED.isoformat(),
        "--date", APPLIED.isoformat(), "--account", "P-0001", "--actor", "pop",
        *LETTER, *extra,
    )  # fmt: skip


def test_render_the_stored_letter_as_pdf_and_html_and_a_blank_form(
    counter: Engine, tmp_path: Path
) -> None:
    made = _made()
    assert made["status"] == "made" and made["code"].startswith("CNP20270220")

    pdf = tmp_path / "letter.pdf"
    written = cli("commitments", "render", made["code"], "--output", str(pdf))
    assert "letter.pdf" in written.stdout
    assert pdf.read_bytes().startswith(b"%PDF")

    html = tmp_path / "letter.html"
    cli("commitments", "render", str(made["id"]), "--output", str(html))
    page = html.read_text(encoding="utf-8")
    assert "诚信守法用电承诺书" in page and NAME in page and "租户" in page
    assert made["code"] in page

    form = tmp_path / "form.html"
    cli(
        "commitments", "render", "--template", "honest-power-zhanjiang",
        "--subject", CODE, "--output", str(form),
    )  # fmt: skip
    blank = form.read_text(encoding="utf-8")
    assert NAME in blank and "_____" in blank and "租户" not in blank

    neither = cli("commitments", "render", "--output", str(form), code=2)
    assert "二选一" in squeezed(neither.stderr)
    wrong = cli("commitments", "render", made["code"], "--output", str(tmp_path / "x.txt"), code=2)
    assert "field:output" in squeezed(wrong.stderr)


def test_accept_breach_by_a_reviewer_fulfil_and_withdraw(counter: Engine) -> None:
    made = _made()
    accepted = one(
        "commitments", "accept", str(made["id"]), "--actor", "pop", "--date", "2027-03-01"
    )
    assert accepted["status"] == "in_force"
    not_a_reviewer = cli(
        "commitments", "breach", str(made["id"]), "--actor", "pop",
        "--unfulfilled", "未补齐证明", "--date", "2027-06-01", code=4,
    )  # fmt: skip
    assert "错误 / error" in not_a_reviewer.stderr
    breach = cli(
        "commitments", "breach", made["code"], "--actor", "prev",
        "--unfulfilled", "未按期补齐物业权属证明", "--liability", "移交停电处理",
        "--on", "2027-05-30", "--date", "2027-06-01",
    ).stdout  # fmt: skip
    assert f"失约事件 / incident {made['code']}-B" in breach
    assert "失信记录候选 / record candidates: " in breach and "candidates: —" not in breach
    shown = one("commitments", "show", made["code"])
    assert (shown["status"], shown["status_on"]) == ("breached", "2027-05-30")
    again = cli(
        "commitments", "fulfil", str(made["id"]), "--actor", "pop", "--date", "2027-06-02", code=2
    )
    assert "错误/error" in squeezed(again.stderr)
    assert one("commitments", "show", made["code"])["status"] == "breached"

    second = _made()
    withdrawn = one(
        "commitments", "withdraw", str(second["id"]), "--actor", "pop",
        "--reason", "申请人撤回", "--date", "2027-02-21",
    )  # fmt: skip
    assert withdrawn["status"] == "withdrawn"
    assert one("commitments", "show", str(second["id"]))["next"] == []


def test_meet_the_obligation_then_fulfil(counter: Engine) -> None:
    made = _made("--valid-until", "2030-12-31")
    cli("commitments", "accept", str(made["id"]), "--actor", "pop", "--date", "2027-02-21")
    early = cli(
        "commitments", "fulfil", str(made["id"]), "--actor", "pop", "--date", "2027-02-22", code=2
    )
    assert "承诺尚有未履行的义务" in squeezed(early.stderr)
    [pending] = one("commitments", "show", str(made["id"]))["obligations"]
    not_open = cli(
        "commitments", "meet", str(made["id"]), str(pending["id"]), "--actor", "pop",
        "--on", "2027-02-22", "--date", "2027-02-22", code=2,
    )  # fmt: skip
    assert "该义务不在履行期内" in squeezed(not_open.stderr)
    with counter.begin() as connection:  # power-on, as `applications advance connect` does it
        commitment_obligations.start_obligations(
            connection, None, made["id"], starts_on=CONNECTED, today=CONNECTED
        )
    met = one(
        "commitments", "meet", made["code"], str(pending["id"]), "--actor", "pop",
        "--on", "2027-09-01", "--date", "2027-09-02",
    )  # fmt: skip
    assert (met["status"], met["met_on"]) == ("met", "2027-09-01")
    fulfilled = one("commitments", "fulfil", made["code"], "--actor", "pop", "--date", "2027-09-02")
    assert fulfilled["status"] == "fulfilled"


def test_entitlements_say_what_applies_and_why(counter: Engine) -> None:
    before = one("entitlements", CODE, "--actor", "pop", "--as-of", "2027-03-01")
    [power] = before["utilities"]
    assert power["policy"] == "zhanjiang-power" and power["applies"] == []
    _made()  # 主动提供信用承诺书: the trustworthy designation holds
    after = one("entitlements", CODE, "--actor", "pop", "--as-of", "2027-03-01")
    [power] = after["utilities"]
    assert "trustworthy_subject" in power["designations"]
    measures = {m["measure"]: m for m in power["applies"]}
    assert "credit_instead_of_property" in measures
    assert measures["vip_appointment"]["basis"] == "designation:trustworthy_subject"
    text = cli("entitlements", CODE, "--actor", "pop", "--as-of", "2027-03-01").stdout
    assert "守信激励 vip_appointment VIP 预约：依据 守信用电主体" in text
    unknown = cli("entitlements", CODE, "--actor", "nobody", code=3)
    assert "nobody" in unknown.stderr
