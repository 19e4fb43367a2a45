"""The public site in a real browser (Debian's Chromium, as tests/e2e/web): no login, the
masked values on the pages, and each policy's criteria exactly the clause texts the engine
runs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.integration.disclosure.world import (
    COMPANY_CODE,
    COMPANY_NAME,
    INTERNAL,
    PERSON_MASKED,
    PERSON_NAME_MASKED,
    build,
)
from tests.support.live import live_server
from utilcredit import schema
from utilcredit.config import Settings
from utilcredit.db import make_engine
from utilcredit.disclosure import service
from utilcredit.localtime import today
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.policies.service import policy_at, policy_keys
from utilcredit.server import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("public-site")
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'store.db'}")
    engine = make_engine(settings.resolved_database_url)
    schema.upgrade(engine)
    with engine.begin() as connection:
        build(connection, today())
        service.publish(connection, today())
    with live_server(create_app(settings, engine=engine)) as url:
        yield url
    engine.dispose()


def test_public_pages_in_a_browser(site: str, browser: Browser) -> None:
    context = browser.new_context(base_url=site)  # no cookies: nobody is logged in
    page = context.new_page()
    page.goto("/public/")
    expect(page).to_have_url(f"{site}/public/")  # not sent to the login page
    expect(page.locator("h1")).to_have_text("供水供电信用信息公示")

    for key in policy_keys():
        policy = policy_at(key, None).policy
        page.goto("/public/")
        page.click(f'a[href="/public/policies/{key}"]')
        expect(page).to_have_url(re.compile(f"/public/policies/{key}$"))
        expect(page.locator("td.issuer")).to_have_text(policy.issuer or "")
        expect(page.locator("td.effective-from")).to_have_text(policy.effective_from.isoformat())
        shown = page.locator("article.criteria dd p.text").all_inner_texts()
        published = [c.text for level in _best_first(policy) for c in policy.clauses_of(level)]
        assert shown == published

    page.goto("/public/")
    page.click('a[href="/public/records"] >> nth=0')
    rows = page.locator("tr.entry")
    expect(rows).to_have_count(4)
    expect(page.locator("td.code", has_text=PERSON_MASKED)).to_have_count(1)
    expect(page.locator("td.subject", has_text=PERSON_NAME_MASKED)).to_have_count(1)
    body = page.locator("body").inner_text()
    assert [name for name, value in INTERNAL.items() if value in body] == []

    page.click('a[href="/public/commitments"] >> nth=0')
    expect(page.locator("td.code", has_text=PERSON_MASKED)).to_have_count(1)

    page.click('a[href="/public/lookup"] >> nth=0')
    page.fill("input[name=q]", COMPANY_CODE)
    page.click("form.lookup button")
    expect(page.locator("tr.entry")).to_have_count(3)
    expect(page.locator("td.subject").first).to_have_text(COMPANY_NAME)

    page.click("a.lang")  # English second
    expect(page.locator("h1")).to_have_text("Look-up")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()


def _best_first(policy: Policy) -> list[Level]:
    """The criteria document's order: best level first, as in the seeds."""
    return sorted(policy.levels, key=lambda level: level.badness)
