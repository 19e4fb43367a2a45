"""The monthly report's queries on both stores over a small November (world.py): each section
counts only the month (Asia/Shanghai boundaries) and only the utility asked for."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine

from tests.integration.rating_runs.helpers import stored
from tests.integration.records.builders import Staff, staff
from tests.integration.supervision.world import Month as World
from tests.integration.supervision.world import build
from utilcredit.access.model import AccessDeniedError
from utilcredit.customers.model import Utility
from utilcredit.policies.model.levels import Level
from utilcredit.supervision import service
from utilcredit.supervision.model import Month, MonthlyReport, direction

NOVEMBER = Month(2026, 11)


@pytest.fixture
def world(engine: Engine) -> World:
    return build(engine)


def _report(engine: Engine, utility: Utility = Utility.WATER) -> MonthlyReport:
    with engine.connect() as connection:
        (report,) = service.monthly_reports(connection, None, NOVEMBER, utility)
    return report


def test_levels_come_from_the_months_last_complete_run(engine: Engine, world: World) -> None:
    report = _report(engine)
    run = report.levels.run
    assert run is not None
    # not the earlier November run, the run left running on the 30th, nor December's
    assert run.id == world.november.id
    assert run.as_of == world.november.as_of
    ratings = stored(engine, world.november.id)
    expected = Counter(r.level for r in ratings.values())
    assert {c.level: c.count for c in report.levels.distribution} == {
        level: expected.get(level, 0) for level in Level
    }
    assert report.levels.subjects == len(ratings) == 4


def test_transitions_are_from_the_previous_months_last_run(engine: Engine, world: World) -> None:
    report = _report(engine)
    assert report.levels.previous_run is not None
    assert report.levels.previous_run.id == world.october.id
    before = stored(engine, world.october.id)
    after = stored(engine, world.november.id)
    expected = Counter(
        (
            before[code].level if code in before else None,
            after[code].level if code in after else None,
        )
        for code in before.keys() | after.keys()
    )
    assert {(t.from_level, t.to_level): t.count for t in report.levels.transitions} == expected
    moves = Counter(direction(a, b) for (a, b), n in expected.items() for _ in range(n))
    assert report.levels.upgraded == moves["up"] >= 1  # the customer who paid
    assert report.levels.downgraded == moves["down"] >= 1  # the arrears that aged
    assert report.levels.joined == moves["joined"] == 1
    assert report.levels.unchanged == moves["same"]


def test_records_are_those_determined_in_the_month(engine: Engine, world: World) -> None:
    report = _report(engine)
    cells = {(c.kind, c.record_class): c.count for c in report.records.cells}
    assert cells == {("theft", "general"): 2, ("arrears", "serious"): 1}
    assert report.records.total == 3
    power = _report(engine, Utility.POWER)
    assert {(c.kind, c.record_class): c.count for c in power.records.cells} == {
        ("violation", "minor"): 1
    }


def test_objections_and_repairs_decided_within_their_deadlines(
    engine: Engine, world: World
) -> None:
    report = _report(engine)
    o = report.objections
    assert (o.filed, o.decided, o.decided_on_time, o.withdrawn) == (4, 2, 1, 1)
    assert (o.on_time.numerator, o.on_time.denominator, o.on_time.display) == (1, 2, "50.0%")
    r = report.repairs
    assert (r.filed, r.decided, r.decided_on_time, r.withdrawn) == (3, 3, 2, 1)
    assert r.on_time.fraction is not None and r.on_time.fraction * 3 == 2
    assert r.on_time.display == "66.7%"
    power = _report(engine, Utility.POWER)
    assert (power.objections.filed, power.objections.decided) == (1, 1)
    assert power.repairs.filed == 0 and power.repairs.on_time.display == "—"


def test_commitments_made_fulfilled_breached(engine: Engine, world: World) -> None:
    c = _report(engine).commitments
    assert (c.made, c.fulfilled, c.breached) == (2, 1, 1)
    p = _report(engine, Utility.POWER).commitments
    assert (p.made, p.fulfilled, p.breached) == (1, 0, 0)


def test_notices_by_channel_on_shanghai_days(engine: Engine, world: World) -> None:
    n = _report(engine).notices
    channels = {c.channel: (c.sent, c.delivered, c.failed) for c in n.channels}
    # SMS at 00:30 on 1 November (Shanghai) counts, at 23:30 on 31 October does not; the
    # e-mail given up at 00:10 on 1 December is December's.
    assert channels == {"sms": (1, 1, 1), "letter": (1, 0, 0)}
    assert (n.sent, n.delivered, n.failed) == (2, 1, 1)
    power = _report(engine, Utility.POWER).notices
    assert {c.channel: c.sent for c in power.channels} == {"sms": 1}


def test_batches_and_the_months_error_rate(engine: Engine, world: World) -> None:
    e = _report(engine).exchange
    assert [b.rows for b in e.batches] == [100, 50, 40, 10]
    assert (e.sent, e.answered, e.rows_answered, e.error_rows) == (4, 3, 160, 12)
    assert (e.error_rate.numerator, e.error_rate.denominator) == (12, 160)
    assert e.error_rate.display == "7.5%"
    partly, both, waiting, rejected = e.batches
    assert partly.error_rows == 2 and partly.error_rate is not None
    assert partly.error_rate.display == "2.0%"
    assert both.utilities == "power,water" and both.error_rows == 0
    assert waiting.answered is False and waiting.error_rate is None
    assert rejected.error_rows == 10
    power = _report(engine, Utility.POWER).exchange
    assert [b.rows for b in power.batches] == [30, 50]
    assert (power.rows_answered, power.error_rows) == (80, 3)


def test_a_month_without_data_is_all_zeros(engine: Engine, world: World) -> None:
    with engine.connect() as connection:
        (report,) = service.monthly_reports(connection, None, Month(2026, 8), Utility.WATER)
    assert report.levels.run is None and report.levels.subjects == 0
    assert report.records.total == report.objections.filed == report.notices.sent == 0
    assert report.exchange.sent == 0 and report.exchange.error_rate.display == "—"


def test_access_follows_the_readable_utilities(engine: Engine, world: World) -> None:
    people: Staff = staff(engine)
    with engine.connect() as connection:
        office = service.monthly_reports(connection, people.credit_office, NOVEMBER)
        assert [r.utility for r in office] == ["water", "power"]
        own = service.monthly_reports(connection, people.operator, NOVEMBER)
        assert [r.utility for r in own] == ["water"]
        with pytest.raises(AccessDeniedError):
            service.monthly_reports(connection, people.operator, NOVEMBER, Utility.POWER)
