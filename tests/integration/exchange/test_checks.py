"""Credit checks: a report fetched from the local platform over HTTP or loaded by hand is kept
as the credit file's report (the rating reads it) with the check and its purpose; the use of
the result is recorded once. Failures and bad input are clear. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.exchange.platform_world import TOKEN
from tests.integration.exchange.world import AS_OF, COMPANY, RESIDENT, build
from tests.support.platform import PlatformTestServer
from utilcredit.customers import repository as credit_files
from utilcredit.customers.model import Utility
from utilcredit.errors import ConflictError, FieldInvalidError, NotFoundError
from utilcredit.exchange import checks
from utilcredit.exchange.checks import CheckRequest
from utilcredit.exchange.model import CheckPurpose, CheckUse
from utilcredit.exchange.platform import PlatformClient
from utilcredit.exchange.tables import CreditCheckRow

REPORT: dict[str, Any] = {
    "subject_code": COMPANY,
    "name": "湛江示范实业有限公司",
    "source": "guangdong",
    "issued_on": "2026-11-28",
    "has_dishonesty": False,
    "on_serious_list": False,
    "rating": "A",
    "records": [],
}


@pytest.fixture
def filled(engine: Engine) -> Engine:
    with engine.begin() as connection:
        build(connection)
    return engine


@pytest.fixture
def client() -> Iterator[PlatformClient]:
    with PlatformTestServer(token=TOKEN) as platform:
        platform.reports[COMPANY] = REPORT
        with PlatformClient(platform.url, TOKEN, timeout=2, retries=0) as made:
            yield made


def request(code: str = COMPANY, **changes: Any) -> CheckRequest:
    values: dict[str, Any] = {"subject_code": code, "purpose": CheckPurpose.APPLICATION}
    return CheckRequest(**(values | changes))


def counts(engine: Engine) -> tuple[int, int]:
    from utilcredit.customers.tables import CreditReportRow

    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(CreditCheckRow)).scalar_one(),
            connection.execute(select(func.count()).select_from(CreditReportRow)).scalar_one(),
        )


def test_a_fetched_report_joins_the_credit_file_and_the_check_keeps_why(
    filled: Engine, client: PlatformClient
) -> None:
    with filled.begin() as connection:
        done = checks.check(connection, request(purpose_note="零证办电"), client=client, on=AS_OF)
    assert (done.status, done.source, done.utility, done.purpose) == (
        "done",
        "platform",
        "power",
        "application",
    )
    assert done.purpose_note == "零证办电" and done.result is not None
    assert done.result["rating"] == "A" and done.subject_code == COMPANY
    with filled.connect() as connection:
        credit_file = credit_files.get_credit_file(connection, COMPANY, Utility.POWER)
    assert credit_file is not None
    [report] = credit_file.credit_reports
    assert (report.source, report.issued_on.isoformat(), report.rating) == (
        "guangdong",
        "2026-11-28",
        "A",
    )
    with filled.begin() as connection:  # the same report again: one report, two checks
        checks.check(connection, request(), client=client, on=AS_OF)
    assert counts(filled) == (2, 1)


def test_a_report_loaded_by_hand_as_json_or_csv(filled: Engine) -> None:
    resident = REPORT | {"subject_code": RESIDENT, "has_dishonesty": True, "rating": None}
    csv_text = (
        "subject_code,source,issued_on,has_dishonesty,rating,on_serious_list\r\n"
        f"{COMPANY},creditchina,2026-11-20,false,B,false\r\n"
    )
    with filled.begin() as connection:
        by_json = checks.check(
            connection,
            request(RESIDENT, purpose=CheckPurpose.TRUSTWORTHY),
            report_file=(json.dumps(resident).encode(), "report.json"),
            on=AS_OF,
        )
        by_csv = checks.check(
            connection, request(), report_file=(csv_text.encode("gb18030"), "r.csv"), on=AS_OF
        )
    assert by_json.utility == "water"
    assert by_json.source == "manual" and by_json.result and by_json.result["has_dishonesty"]
    assert by_csv.result and by_csv.result["rating"] == "B"
    assert counts(filled) == (2, 2)


def test_the_platform_without_a_report_is_a_failed_check_with_its_reason(
    filled: Engine, client: PlatformClient
) -> None:
    with filled.begin() as connection:
        failed = checks.check(
            connection, request(RESIDENT, purpose=CheckPurpose.COMMITMENT), client=client, on=AS_OF
        )
    assert failed.status == "failed" and failed.error and "no such record" in failed.error
    assert counts(filled) == (1, 0)
    with filled.begin() as connection, pytest.raises(FieldInvalidError, match="found no report"):
        checks.record_use(connection, failed.id, used_for=CheckUse.GRANTED, note=None, actor="op")


@pytest.mark.parametrize(
    ("code", "changes", "report", "error", "said"),
    [
        ("91110108551385082Q", {}, None, NotFoundError, "no subject"),
        (COMPANY, {"purpose": CheckPurpose.OTHER}, None, FieldInvalidError, "purpose other"),
        (COMPANY, {"utility": "gas"}, None, FieldInvalidError, "water or power"),
        (COMPANY, {}, REPORT | {"subject_code": RESIDENT}, FieldInvalidError, "not 9144"),
        (COMPANY, {}, REPORT | {"issued_on": "2027-01-01"}, FieldInvalidError, "after today"),
        (COMPANY, {}, REPORT | {"rating": "E"}, FieldInvalidError, "A-D"),
        (COMPANY, {}, REPORT | {"has_dishonesty": "maybe"}, FieldInvalidError, "true or false"),
    ],
)
def test_bad_input_writes_nothing(
    filled: Engine,
    code: str,
    changes: dict[str, Any],
    report: dict[str, Any] | None,
    error: type[Exception],
    said: str,
) -> None:
    raw = json.dumps(report or REPORT).encode()
    with pytest.raises(error, match=said), filled.begin() as connection:
        checks.check(connection, request(code, **changes), report_file=(raw, "r.json"), on=AS_OF)
    assert counts(filled) == (0, 0)


def test_the_use_of_a_result_is_recorded_once(filled: Engine, client: PlatformClient) -> None:
    with filled.begin() as connection:
        done = checks.check(connection, request(), client=client, on=AS_OF)
        assert [c.id for c in checks.checks(connection, unused=True)] == [done.id]
        with pytest.raises(FieldInvalidError, match="not used"):
            checks.record_use(connection, done.id, used_for=CheckUse.UNUSED, note="", actor="op")
        used = checks.record_use(
            connection, done.id, used_for=CheckUse.GRANTED, note="以报告代替产权证明", actor="clerk"
        )
        assert (used.used_for, used.used_for_zh, used.use_note, used.used_by) == (
            "granted",
            "予以办理",
            "以报告代替产权证明",
            "clerk",
        )
        assert used.used_at is not None and checks.checks(connection, unused=True) == []
        with pytest.raises(ConflictError):
            checks.record_use(connection, done.id, used_for=CheckUse.REFUSED, note=None, actor="op")
        assert [c.id for c in checks.checks(connection, subject_code=COMPANY)] == [done.id]
