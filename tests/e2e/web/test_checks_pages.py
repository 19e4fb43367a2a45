"""The credit-check console over HTTP (信用核查): a check made from the form with an uploaded
report or through the local platform, a platform failure kept as a failed check, refused
forms shown again with the error next to the field (nothing stored), the list filtered by
subject and by use not recorded, the use of a result recorded (and refused without a note
when unused), another utility's subject or check not found (404, audited), and the nav entry.

Entry-point checks (the use cases behind them run on both stores in the integration tests):
SQLite only, like the other console tests.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from tests.e2e.api.world import POWER_ONLY, WATER_ONLY
from tests.e2e.web.test_notices_pages import ids, section
from tests.support.console import Session, log_in
from tests.support.platform import PlatformTestServer
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import Settings
from utilcredit.exchange.tables import CreditCheckRow
from utilcredit.localtime import today

pytestmark = pytest.mark.sqlite_only


def report(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "subject_code": code,
        "name": "示范客户",
        "source": "creditchina",
        "issued_on": today().isoformat(),
        "has_dishonesty": True,
        "on_serious_list": False,
        "rating": "B",
        "records": [{"kind": "欠费", "summary": "水费逾期", "determined_on": "2026-03-02"}],
        **fields,
    }


def make_check(
    session: Session, subject: str = WATER_ONLY, upload: bytes | None = None, **fields: str
) -> Response:
    form = {"subject": subject, "purpose": "application", "csrf_token": session.csrf, **fields}
    files = {"file": ("report.json", upload, "application/json")} if upload is not None else None
    response: Response = session.client.post(
        "/checks", data=form, files=files, follow_redirects=False
    )
    return response


def check_id(response: Response, done: str = "check") -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(rf"/checks/(\d+)\?done={done}", response.headers["location"])
    assert found is not None, response.headers["location"]
    return int(found.group(1))


def stored(engine: Engine) -> list[tuple[int, str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                CreditCheckRow.id,
                CreditCheckRow.source,
                CreditCheckRow.status,
                CreditCheckRow.used_for,
            ).order_by(CreditCheckRow.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def denials(engine: Engine, actor: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(AuditEntryRow)
                .where(AuditEntryRow.action == "access_denied", AuditEntryRow.actor == actor)
            ).scalar_one()
        )


def test_a_check_is_made_from_an_uploaded_report_and_its_use_recorded(
    app: FastAPI, engine: Engine
) -> None:
    operator = log_in(app, "op-water")
    page = operator.get("/checks")
    assert page.status_code == 200 and 'id="no-checks"' in page.text
    assert 'id="check-form"' in page.text and 'id="manual-only"' in page.text
    assert 'href="/checks"' in page.text  # the nav entry

    # no platform and no file: refused next to the file field, nothing stored
    refused = make_check(operator)
    assert refused.status_code == 422
    assert 'data-field="file"' in section(refused.text, "check-form")
    assert f'value="{WATER_ONLY}"' in refused.text  # what was typed stays
    other = make_check(operator, upload=b"{}", purpose="other")  # "other" needs a note
    assert other.status_code == 422 and 'data-field="purpose_note"' in other.text
    assert stored(engine) == []

    made = check_id(make_check(operator, upload=json.dumps(report(WATER_ONLY)).encode()))
    assert stored(engine) == [(made, "manual", "done", None)]
    shown = operator.get(f"/checks/{made}?done=check")
    assert "核查已完成" in section(shown.text, "flash")
    result = section(shown.text, "result")
    assert 'id="result-dishonesty" data-value="true"' in result and "水费逾期" in result
    assert re.search(r'id="result-rating">B<', result)
    assert 'id="use-form"' in shown.text

    listed = operator.get("/checks")
    assert ids(listed.text, "check-row") == [made]
    assert ids(operator.get("/checks?unused=true").text, "check-row") == [made]
    assert ids(operator.get(f"/checks?subject={POWER_ONLY}").text, "check-row") == []

    # "unused" needs a reason: refused next to the note, nothing recorded
    bare = operator.post(f"/checks/{made}/use", {"used_for": "unused", "note": ""})
    assert bare.status_code == 422
    assert 'data-field="note"' in section(bare.text, "use-form")
    assert stored(engine) == [(made, "manual", "done", None)]
    assert (
        log_in(app, "rev-water").post(f"/checks/{made}/use", {"used_for": "granted"}).status_code
        == 403
    )

    used = operator.post(f"/checks/{made}/use", {"used_for": "granted", "note": "予以办理"})
    assert check_id(used, "use") == made
    assert stored(engine) == [(made, "manual", "done", "granted")]
    after = operator.get(f"/checks/{made}?done=use")
    assert 'id="check-used-for" data-value="granted"' in after.text
    assert 'id="use-form"' not in after.text
    assert ids(operator.get("/checks?unused=true").text, "check-row") == []
    again = operator.post(f"/checks/{made}/use", {"used_for": "refused", "note": "x"})
    assert again.status_code == 409  # recorded once
    assert stored(engine) == [(made, "manual", "done", "granted")]


def test_another_utilitys_subject_and_check_are_not_found(app: FastAPI, engine: Engine) -> None:
    water = log_in(app, "op-water")
    made = check_id(make_check(water, upload=json.dumps(report(WATER_ONLY)).encode()))

    power = log_in(app, "op-power")
    before = denials(engine, "op-power")
    assert power.get(f"/checks/{made}").status_code == 404
    assert power.post(f"/checks/{made}/use", {"used_for": "granted"}).status_code == 404
    upload = json.dumps(report(WATER_ONLY)).encode()
    assert make_check(power, upload=upload).status_code == 404
    assert denials(engine, "op-power") == before + 3
    assert ids(power.get("/checks").text, "check-row") == []
    assert stored(engine) == [(made, "manual", "done", None)]

    office = log_in(app, "office")  # reads, does not check
    assert office.get(f"/checks/{made}").status_code == 200
    assert 'id="check-form"' not in office.get("/checks").text
    assert make_check(office, upload=upload).status_code == 403


def test_a_check_through_the_platform_and_a_failure_kept(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    with PlatformTestServer(token="web-platform") as platform:
        settings.exchange.platform_url = platform.url
        settings.exchange.platform_token = SecretStr("web-platform")
        settings.exchange.retries = 0
        platform.reports[WATER_ONLY] = report(WATER_ONLY, has_dishonesty=False, rating="A")
        operator = log_in(app, "op-water")
        assert 'id="manual-only"' not in operator.get("/checks").text

        fetched = check_id(make_check(operator))
        page = operator.get(f"/checks/{fetched}")
        assert 'id="result-dishonesty" data-value="false"' in page.text
        assert re.search(r'id="result-rating">A<', page.text)

        platform.fail_next = 1
        failed = check_id(make_check(operator, purpose="rating"))
        shown = operator.get(f"/checks/{failed}")
        assert 'id="check-error"' in shown.text and 'id="use-form"' not in shown.text
        assert stored(engine) == [
            (fetched, "platform", "done", None),
            (failed, "platform", "failed", None),
        ]
