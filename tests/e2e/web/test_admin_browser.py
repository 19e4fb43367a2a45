"""The audit log filter in the browser, used as a person would (pick an action, submit): the
table narrows to it. (How the users and audit pages fit at 390 px and 1366 px and what axe-core
finds on them is checked with every other page in ``test_responsive_a11y.py``.)"""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.e2e.api.world import PASSWORD
from tests.e2e.web.conftest import LiveConsole
from tests.support.live import log_in


def test_the_audit_filter_narrows_the_log(browser: Browser, live_console: LiveConsole) -> None:
    context = browser.new_context(
        base_url=live_console.url, viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, "admin", PASSWORD)
        page.goto("/admin/audit")
        page.select_option("#audit-filters select[name=action]", "login")
        page.click("#audit-filters button[type=submit]")
        page.wait_for_url("**/admin/audit?*action=login*")
        actions = page.eval_on_selector_all(
            "tr.audit-row", "rows => rows.map(r => r.dataset.action)"
        )
        assert actions and set(actions) == {"login"}
    finally:
        context.close()
