"""Credit-based applications and their commitments on both stores (issue 11 items 2, 3, 6):
eligibility at both sides of every condition, the Zhanjiang one-year obligation across a leap
day, a breach that becomes a record candidate, a withdrawal that records nothing, and bad
input that changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, update

from tests.integration.records.builders import Store
from utilcredit import schema
from utilcredit.applications import checks as application_checks
from utilcredit.applications import service as applications
from utilcredit.applications import zones as application_zones
from utilcredit.applications.model import ApplicationStatus, Document
from utilcredit.applications.service import NewApplication
from utilcredit.applications.tables import ApplicationRow
from utilcredit.applications.zones import ZoneEdit
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments import service as commitments
from utilcredit.commitments.service import NewCommitment
from utilcredit.config import RecordsSettings
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.customers.repository import get_credit_file
from utilcredit.customers.tables import CommitmentRow, CreditReportRow, IncidentRow, SubjectRow
from utilcredit.db import make_engine
from utilcredit.errors import FieldInvalidError, InvalidInputError
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.results import ClauseStatus
from utilcredit.records.tables import CaseEventRow, DishonestyRecordRow

D = dt.date
SETTINGS = RecordsSettings()
ZHANJIANG = load_policy("zhanjiang-power").policy
APPLIED = D(2027, 2, 20)
FOUNDED = D(2010, 5, 1)
HONEST_POWER = {
    "unit_name": "湛江示范石化有限公司",
    "uscc": "91440800MA4UTEST1X",
    "legal_rep": "李四",
    "legal_rep_id_type": "居民身份证",
    "legal_rep_id_number": "11010519491231002X",
    "relation": "业主",
}


def _report(connection: Connection, subject_id: int, issued: dt.date, **flags: object) -> None:
    connection.execute(
        insert(CreditReportRow).values(
            subject_id=subject_id,
            source=flags.pop("source", "creditchina"),
            issued_on=issued,
            has_dishonesty=flags.pop("has_dishonesty", False),
            on_serious_list=flags.pop("on_serious_list", False),
            rating=flags.pop("rating", None),
        )
    )


def _zones(connection: Connection) -> None:
    """The seed's zones as the migration writes them (each test starts from empty tables)."""
    for district, park in (
        ("湛江经济技术开发区", "石化产业园区"),
        ("湛江经济技术开发区", "钢铁产业园区"),
        ("湛江奋勇高新技术产业开发区", "东盟产业园区"),
    ):
        application_zones.set_zone(connection, None, ZoneEdit("zhanjiang-power", district, park))


def _applicant(connection: Connection, *, founded: dt.date | None = FOUNDED) -> Store:
    _zones(connection)
    store = Store(connection, code="91440800MA4UTEST1X")
    connection.execute(
        update(SubjectRow).where(SubjectRow.id == store.subject_id).values(founded_on=founded)
    )
    store.account("P-0001", utility="power", opened=D(2012, 1, 1))
    return store


def _apply(connection: Connection, **overrides: object) -> int:
    values: dict[str, object] = {
        "subject_code": "91440800MA4UTEST1X",
        "policy_key": "zhanjiang-power",
        "business": Business.NEW_CONNECTION,
        "address": "湛江市经开区石化大道 1 号",
        "applied_on": APPLIED,
        "park": "石化产业园区",
        "documents_present": (Document.ID_PROOF, Document.CREDIT_REPORT),
        **overrides,
    }
    found = applications.submit(connection, None, NewApplication(**values), today=APPLIED)  # type: ignore[arg-type]
    return found.id


def _eligibility(connection: Connection, application_id: int) -> dict[str, ClauseStatus]:
    found = applications.visible_application(connection, None, application_id)
    result = application_checks.eligibility_of(connection, found)
    return {r.id: r.status for r in result.requirements} | {"*": result.status}


@pytest.mark.parametrize(("downloaded_days_before", "expected"), [(5, "held"), (6, "failed")])
def test_report_downloaded_five_days_before_counts_six_does_not(
    engine: Engine, downloaded_days_before: int, expected: str
) -> None:
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, APPLIED - dt.timedelta(days=downloaded_days_before))
        statuses = _eligibility(connection, _apply(connection))
    assert statuses["A2"] == ClauseStatus(expected)
    assert statuses["*"] == ClauseStatus(expected)


def test_outside_the_pilot_zones_is_not_eligible_and_an_unknown_park_is_refused(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, APPLIED)
        inside = _eligibility(connection, _apply(connection))
        outside = _eligibility(
            connection, _apply(connection, park=None, area="440802", address="赤坎区 9 号")
        )
        with pytest.raises(FieldInvalidError, match="未知的试点园区") as refused:
            _apply(connection, park="不存在园区", address="某地 3 号")
        assert refused.value.field == "park"
        count = connection.execute(select(func.count()).select_from(ApplicationRow)).scalar()
    assert inside["A1"] == ClauseStatus.HELD
    assert outside["A1"] == ClauseStatus.FAILED
    assert count == 2


@pytest.mark.parametrize(
    ("theft_on", "expected"),
    [(D(2024, 2, 20), "held"), (D(2024, 2, 21), "failed")],  # three years to the day
)
def test_three_years_to_the_day(engine: Engine, theft_on: dt.date, expected: str) -> None:
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, APPLIED)
        store.incident("P-0001", "theft", theft_on, amount="500")
        statuses = _eligibility(connection, _apply(connection))
    assert statuses["A6"] == ClauseStatus(expected)


def test_a_subject_founded_two_years_ago_is_judged_since_founding(engine: Engine) -> None:
    with engine.begin() as connection:
        store = _applicant(connection, founded=D(2025, 2, 20))
        _report(connection, store.subject_id, APPLIED)
        store.incident("P-0001", "violation", D(2024, 12, 1))  # before founding: not counted
        young = _eligibility(connection, _apply(connection))
        connection.execute(update(SubjectRow).values(founded_on=None))
        unknown = _eligibility(connection, _apply(connection, address="另一地址 2 号"))
    assert young["A6"] == ClauseStatus.HELD and young["A4"] == ClauseStatus.HELD
    assert unknown["A6"] == ClauseStatus.FAILED
    assert unknown["A4"] == ClauseStatus.UNKNOWN and unknown["*"] == ClauseStatus.FAILED


def _through_connection(connection: Connection, connected: dt.date) -> tuple[int, int]:
    store = _applicant(connection)
    _report(connection, store.subject_id, APPLIED)
    application_id = _apply(connection)
    applications.survey(
        connection, None, application_id, today=APPLIED, address_type=AddressType.RENTED
    )
    _, result = applications.check(connection, None, application_id, today=APPLIED)
    assert result.eligible, result
    applications.sign(
        connection,
        None,
        application_id,
        values=HONEST_POWER,
        made_on=APPLIED,
        today=APPLIED,
        settings=SETTINGS,
    )
    accepted = applications.accept(connection, None, application_id, today=APPLIED)
    assert accepted.commitment_id is not None
    applications.connect(connection, None, application_id, connected_on=connected, today=connected)
    return application_id, accepted.commitment_id


@pytest.mark.parametrize(
    ("connected", "due"),
    [(D(2027, 2, 28), D(2028, 2, 28)), (D(2028, 2, 29), D(2029, 2, 28))],
)
def test_property_papers_are_due_a_year_after_power_on_and_breach_the_day_after(
    engine: Engine, connected: dt.date, due: dt.date
) -> None:
    with engine.begin() as connection:
        _, commitment_id = _through_connection(connection, connected)
        view = commitment_reads.commitment_view(connection, None, commitment_id)
        assert [o.due_on for o in view.obligations] == [due]
        assert view.commitment.status == CommitmentStatus.IN_FORCE
        on_due_day = commitment_obligations.advance(connection, due)
        day_after = commitment_obligations.advance(connection, due + dt.timedelta(days=1))
        again = commitment_obligations.advance(connection, due + dt.timedelta(days=1))
        breached = commitment_reads.visible_commitment(connection, None, commitment_id)
        incidents = connection.execute(
            select(IncidentRow.kind, IncidentRow.occurred_on).where(
                IncidentRow.incident_no == f"{breached.code}-B"
            )
        ).all()
        records = connection.execute(
            select(DishonestyRecordRow.kind, DishonestyRecordRow.status)
        ).all()
    assert on_due_day.breached == []
    assert day_after.breached == [commitment_id] and day_after.referred == [commitment_id]
    assert again.breached == []  # the daily job is idempotent
    assert breached.status == CommitmentStatus.BREACHED
    assert breached.status_on == due + dt.timedelta(days=1)
    assert breached.liability_pursued and "停电" in breached.liability_pursued
    assert incidents == [("commitment_breach", due + dt.timedelta(days=1))]
    assert records == [("commitment_breach", "candidate")]


def test_a_reminder_comes_before_the_deadline(engine: Engine) -> None:
    with engine.begin() as connection:
        _, commitment_id = _through_connection(connection, D(2027, 3, 1))
        view = commitment_reads.commitment_view(connection, None, commitment_id)
        remind_on = view.obligations[0].remind_on
        assert remind_on is not None and remind_on < view.obligations[0].due_on  # type: ignore[operator]
        before = commitment_obligations.advance(connection, remind_on - dt.timedelta(days=1))
        on_day = commitment_obligations.advance(connection, remind_on)
        events = (
            connection.execute(
                select(CaseEventRow.action).where(
                    CaseEventRow.case_type == "commitment", CaseEventRow.case_id == commitment_id
                )
            )
            .scalars()
            .all()
        )
    assert before.reminded == [] and len(on_day.reminded) == 1
    assert events == ["make", "accept", "remind"]


def test_withdrawn_before_connection_records_nothing(engine: Engine) -> None:
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, APPLIED)
        application_id = _apply(connection)
        applications.survey(connection, None, application_id, today=APPLIED)
        applications.check(connection, None, application_id, today=APPLIED)
        signed = applications.sign(
            connection,
            None,
            application_id,
            values=HONEST_POWER,
            made_on=APPLIED,
            today=APPLIED,
            settings=SETTINGS,
        )
        withdrawn = applications.withdraw(connection, None, application_id, today=APPLIED)
        assert signed.commitment_id is not None
        commitment = commitment_reads.visible_commitment(connection, None, signed.commitment_id)
        incidents = connection.execute(select(func.count()).select_from(IncidentRow)).scalar()
        # the address is free again
        again = _apply(connection)
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    assert commitment.status == CommitmentStatus.WITHDRAWN
    assert incidents == 0
    assert again != application_id


def test_bad_input_is_refused_and_writes_nothing(engine: Engine) -> None:
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, APPLIED)
        _apply(connection)
        with pytest.raises(FieldInvalidError, match="已有同类业务的申请在办"):
            _apply(connection, address="湛江市经开区石化大道  1 号")  # same address, other spaces
        with pytest.raises(FieldInvalidError, match="没有该主体") as no_subject:
            commitments.make(
                connection,
                None,
                NewCommitment(
                    "91110000710925462X",
                    Utility.POWER,
                    "honest-power-zhanjiang",
                    HONEST_POWER,
                    APPLIED,
                ),
                today=APPLIED,
                settings=SETTINGS,
            )
        assert no_subject.value.field == "subject_code"
        with pytest.raises(FieldInvalidError, match="义务起算日"):
            commitments.make(
                connection,
                None,
                NewCommitment(
                    "91440800MA4UTEST1X",
                    Utility.POWER,
                    "honest-power-zhanjiang",
                    HONEST_POWER,
                    APPLIED,
                    obligations_start_on=APPLIED - dt.timedelta(days=1),
                ),
                today=APPLIED,
                settings=SETTINGS,
            )
        with pytest.raises(InvalidInputError, match="缺少承诺书字段"):
            commitments.make(
                connection,
                None,
                NewCommitment(
                    "91440800MA4UTEST1X", Utility.POWER, "honest-power-zhanjiang", {}, APPLIED
                ),
                today=APPLIED,
                settings=SETTINGS,
            )
        counts = [
            connection.execute(select(func.count()).select_from(table)).scalar()
            for table in (ApplicationRow, CommitmentRow)
        ]
    assert counts == [1, 0]


def test_the_trustworthy_designation_reads_commitment_records(engine: Engine) -> None:
    day = D(2027, 6, 1)
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, day, source="guangdong")
        before = evaluate(get_credit_file(connection, store.code, Utility.POWER), ZHANJIANG, day)  # type: ignore[arg-type]
        made = commitments.make(
            connection,
            None,
            NewCommitment(store.code, Utility.POWER, "honest-power-zhanjiang", HONEST_POWER, day),
            today=day,
            settings=SETTINGS,
        )
        after = evaluate(get_credit_file(connection, store.code, Utility.POWER), ZHANJIANG, day)  # type: ignore[arg-type]
        commitments.accept(connection, None, made.id, today=day)
        commitments.withdraw(connection, None, made.id, today=day, reason="撤回")
        later = evaluate(get_credit_file(connection, store.code, Utility.POWER), ZHANJIANG, day)  # type: ignore[arg-type]
    trust = {d.key: d for d in before.designations}["trustworthy_subject"]
    assert trust.status == ClauseStatus.FAILED
    assert {d.key: d for d in after.designations}["trustworthy_subject"].status == ClauseStatus.HELD
    assert {d.key: d for d in later.designations}[
        "trustworthy_subject"
    ].status == ClauseStatus.FAILED


def test_the_migration_seeds_zhanjiangs_pilot_zones(tmp_path: Path) -> None:
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    schema.upgrade(fresh)
    with fresh.begin() as connection:
        zones = application_zones.zones(connection, ["zhanjiang-power"])
    fresh.dispose()
    assert sorted(z.park for z in zones) == ["东盟产业园区", "石化产业园区", "钢铁产业园区"]


def test_an_admin_moves_a_zone_to_an_area_code(engine: Engine) -> None:
    with engine.begin() as connection:
        store = _applicant(connection)
        _report(connection, store.subject_id, APPLIED)
        application_zones.set_zone(
            connection,
            None,
            ZoneEdit("zhanjiang-power", "湛江经济技术开发区", "钢铁产业园区", "440891"),
        )
        by_area = _eligibility(connection, _apply(connection, park=None, area="440891001"))
        with pytest.raises(FieldInvalidError, match="行政区划代码"):
            application_zones.set_zone(
                connection,
                None,
                ZoneEdit("zhanjiang-power", "湛江经济技术开发区", "钢铁产业园区", "44A"),
            )
    assert by_area["A1"] == ClauseStatus.HELD
