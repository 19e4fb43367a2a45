"""The counter workflow in a real browser, from finding the applicant to connection: a power
operator finds the company, applies for a new connection in a pilot zone without property
papers, records the site survey, runs the credit check (every 信易电 requirement met), prints
the commitment letter (a PDF), signs, accepts and connects; the commitment is then in force
with its obligation due one year after connection. And, over plain HTTP, refused inputs shown
next to the field the service names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from tests.e2e.api.world import uscc
from tests.e2e.web.counter_world import (
    PASSWORD,
    POLICY,
    SETTINGS_CONSOLE,
    SUBJECT,
    ZONE,
    CounterWorld,
    build_counter_world,
)
from tests.support.apps import app_for
from tests.support.live import live_server, log_in
from utilcredit import schema
from utilcredit.access import passwords
from utilcredit.config import Settings
from utilcredit.db import make_engine
from utilcredit.rating.dates import add_months


@dataclass(frozen=True)
class CounterConsole:
    url: str
    world: CounterWorld
    engine: Engine


@pytest.fixture(scope="module")
def counter_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CounterConsole]:
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    root = tmp_path_factory.mktemp("counter-console")
    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'store.db'}",
        console=SETTINGS_CONSOLE,
    )
    engine = make_engine(settings.resolved_database_url)
    schema.upgrade(engine)
    world = build_counter_world(engine)
    with live_server(app_for(settings, engine)) as url:
        yield CounterConsole(url, world, engine)
    engine.dispose()


def test_counter_workflow_from_the_applicant_to_connection(
    browser: Browser, counter_console: CounterConsole, screenshots: Path
) -> None:
    world = counter_console.world
    today = world.today.isoformat()
    context = browser.new_context(
        base_url=counter_console.url, viewport={"width": 1360, "height": 900}
    )
    page = context.new_page()
    status = page.locator("#application-status")
    flash = page.locator("#flash")

    # The operator finds the company from the counter's list.
    log_in(page, "pop", PASSWORD)
    page.click("header nav a:has-text('信用办理')")
    expect(page).to_have_url(re.compile(r"/applications$"))
    page.click("#new-application")
    page.fill("#q", "湛江柜台")
    page.click("#subject-search button[type=submit]")
    hit = page.locator(f"tr.subject-hit[data-ref='{SUBJECT}']")
    expect(hit).to_contain_text("湛江柜台示范电子有限公司")
    hit.locator("a.choose-subject").click()
    expect(page.locator("#applicant-name")).to_have_text("湛江柜台示范电子有限公司")

    # The application: the utility's default policy is chosen; the address in a pilot zone.
    form = page.locator("#application-form")
    expect(form.locator("select[name=policy]")).to_have_value(POLICY)
    form.locator("select[name=business]").select_option("new_connection")
    form.locator("input[name=address]").fill("湛江市麻章区奋勇高新区纬二路 8 号")
    form.locator("input[name=area]").fill("440811")
    form.locator("select[name=park]").select_option(ZONE.park)
    form.locator("input[name=doc_property_proof][value=missing]").check()
    form.locator("input[name=doc_credit_report][value=present]").check()
    form.locator("button[type=submit]").click()
    expect(flash).to_have_text("申请已提交")
    expect(status).to_have_text("已申请")
    expect(page.locator("#application-zone")).to_contain_text(ZONE.park)

    # The site survey, then the credit check: every requirement met, clause by clause.
    page.locator("#survey-form select[name=address_type]").select_option("rented")
    page.click("#survey-form button[type=submit]")
    expect(flash).to_have_text("现场勘查已登记")
    expect(status).to_have_text("已现场勘查")
    page.click("#check-form button[type=submit]")
    expect(flash).to_have_text("信用核查已完成")
    expect(status).to_have_text("已信用核查")
    requirements = page.locator("#eligibility-table tr.requirement")
    expect(requirements).to_have_count(7)
    for index in range(7):
        expect(requirements.nth(index).locator(".requirement-status")).to_have_text("符合")
    expect(page.locator("#eligibility-table")).to_contain_text("用电地址在试点区域内")
    page.screenshot(path=screenshots / "counter-checked.png", full_page=True)

    # The letter to sign, printed with what the credit file already answers.
    href = page.locator("#print-letter").get_attribute("href")
    assert href is not None
    printed = page.request.get(href)
    assert printed.ok
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.body().startswith(b"%PDF")

    # Sign: the template's blanks, prefilled where the credit file knows them.
    sign = page.locator("#sign-form")
    expect(sign.locator("input[data-field=unit_name]")).to_have_value("湛江柜台示范电子有限公司")
    expect(sign.locator("input[data-field=uscc]")).to_have_value(SUBJECT)
    expect(sign.locator("input[data-field=legal_rep]")).to_have_value("陈明")
    sign.locator("input[data-field=legal_rep_id_type]").fill("居民身份证")
    sign.locator("input[data-field=legal_rep_id_number]").fill("440803198001011234")
    sign.locator("select[data-field=relation]").select_option("租户")
    sign.locator("button[type=submit]").click()
    expect(flash).to_have_text("信用承诺已签署")
    expect(status).to_have_text("已签署承诺")

    # Accept, then connect today.
    page.click("#accept-form button[type=submit]")
    expect(flash).to_have_text("已受理")
    expect(status).to_have_text("已受理")
    page.fill("#connect-form input[name=connected_on]", today)
    page.click("#connect-form button[type=submit]")
    expect(flash).to_have_text("已登记接火送电（通水）")
    expect(status).to_have_text("已接火送电（通水）")

    # The commitment is in force; its obligation falls due one year after connection.
    page.click("#commitment-link")
    expect(page.locator("#commitment-status")).to_have_text("履行中")
    obligation = page.locator("#obligations tr.obligation")
    expect(obligation).to_have_count(1)
    expect(obligation.locator(".obligation-due")).to_have_text(
        add_months(world.today, 12).isoformat()
    )
    expect(obligation.locator(".obligation-status")).to_contain_text("履行期内")
    signed = page.request.get(page.locator("#commitment-document").get_attribute("href") or "")
    assert signed.ok and signed.body().startswith(b"%PDF")
    page.screenshot(path=screenshots / "counter-commitment.png", full_page=True)
    context.close()


# ---- over plain HTTP: refused inputs next to their field --------------------------------------


@pytest.fixture
def counter_client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    saved = passwords._hasher
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    build_counter_world(engine)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=engine.url.render_as_string(hide_password=False),
        console=SETTINGS_CONSOLE,
    )
    with TestClient(app_for(settings, engine), raise_server_exceptions=False) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "pop",
                "password": PASSWORD,
                "csrf_token": client.cookies["uc_login_csrf"],
                "next": "/",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        yield client
    passwords.use_hasher(saved)


def _csrf(client: TestClient) -> str:
    found = re.search(r'data-csrf="([^"]+)"', client.get("/applications").text)
    assert found is not None
    return found.group(1)


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": _csrf(client)}, follow_redirects=False)


def _field_error(html: str, form_id: str, name: str) -> str:
    """The error shown inside form ``form_id`` right after the field ``name``'s label."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    assert form is not None, f"no form {form_id}"
    found = re.search(
        rf'name="{name}"[^>]*>.*?</label>\s*<p class="error form-error field-error" '
        rf'data-field="{name}" role="alert">(.*?)</p>',
        form.group(0),
        re.S,
    )
    assert found is not None, f"no error next to {name} in {form_id}"
    return found.group(1)


def test_refused_inputs_show_next_to_their_field(counter_client: TestClient) -> None:
    client = counter_client
    # An application whose park is not a pilot zone: the service names the park.
    refused = _post(
        client,
        "/applications",
        {
            "subject": SUBJECT,
            "policy": POLICY,
            "business": "new_connection",
            "address": "湛江市赤坎区某路 1 号",
            "park": "不存在的园区",
        },
    )
    assert refused.status_code == 422
    assert "未知的试点园区：不存在的园区" in _field_error(refused.text, "application-form", "park")
    # What was typed is kept.
    assert 'value="湛江市赤坎区某路 1 号"' in refused.text

    submitted = _post(
        client,
        "/applications",
        {
            "subject": SUBJECT,
            "policy": POLICY,
            "business": "new_connection",
            "address": "湛江市麻章区奋勇高新区纬二路 8 号",
            "park": ZONE.park,
        },
    )
    assert submitted.status_code == 303, submitted.text
    application = submitted.headers["location"].split("?")[0]
    # A rejection without a reason: refused, nothing changes, the error sits by the reason.
    refused = _post(client, f"{application}/reject", {"reason": "  "})
    assert refused.status_code == 422
    assert "请填写不予受理的原因" in _field_error(refused.text, "reject-form", "reason")
    assert 'data-status="applied"' in client.get(application).text

    # A subject the importer refuses (a wrong check character): its reason, by the code.
    refused = _post(
        client, "/applications/new/subject", {"code": "91440800MA4UNEW00X", "name": "新公司"}
    )
    assert refused.status_code == 422
    assert "校验位" in _field_error(refused.text, "subject-form", "code")
    # A valid one is imported, then chosen for the application (nobody serves it yet).
    code = uscc(424242)
    created = _post(client, "/applications/new/subject", {"code": code, "name": "新设示范公司"})
    assert created.status_code == 303, created.text
    chosen = client.get(created.headers["location"])
    assert '<strong id="applicant-name">新设示范公司</strong>' in chosen.text
    assert f'name="subject" value="{code}"' in chosen.text
