"""One case per clause per shipped policy: the smallest history that fires the clause (for green
and blue: makes it fail) and a history just past its boundary that does not.

The expectations are written from the seed texts by hand (not derived from the YAML), so a policy
file that drifts from the published rule fails here. As-of date is 2026-06-30 throughout: "within
one year" is 2025-07-01 … 2026-06-30, so an event on 2025-06-30 is just outside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest

from tests.unit.rating.rating_histories import (
    AS_OF,
    JUST_INSIDE_THREE_YEARS,
    JUST_INSIDE_YEAR,
    ONE_YEAR_AGO,
    OPENED,
    THREE_YEARS_AGO,
    History,
)
from utilcredit.customers.model import IncidentKind, PaymentMode, Severity, Utility
from utilcredit.policies.loader import list_policies, load_policy
from utilcredit.policies.model import Level, Policy
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.results import ClauseStatus, Evaluation

Build = Callable[[History], History]
K = IncidentKind
TOMORROW = AS_OF + dt.timedelta(days=1)


@dataclass(frozen=True)
class Case:
    clause_id: str
    fires: Build  # trigger: fires; requirement: fails
    boundary: Build  # just past the boundary: trigger clear; requirement holds
    level: Level  # level of the ``fires`` history
    variant: str = ""


@dataclass(frozen=True)
class Style:
    key: str
    utility: Utility
    source: str


@cache
def policy_of(key: str) -> Policy:
    return load_policy(key).policy


def rate(style: Style, build: Build) -> Evaluation:
    history = build(History.clean(style.utility, style.source))
    return evaluate(history.build(), policy_of(style.key), AS_OF)


# --------------------------------------------------------------------------------------------
# Reusable pieces
# --------------------------------------------------------------------------------------------


def dishonest_report(source: str) -> Build:
    return lambda h: h.without_reports().report(source, dt.date(2026, 1, 1), dishonest=True)


def older_dishonest_report(source: str) -> Build:
    # The latest trusted report is what counts: an older bad one is superseded.
    return lambda h: h.report(source, dt.date(2025, 1, 1), dishonest=True)


def future_dishonest_report(source: str) -> Build:
    return lambda h: h.report(source, TOMORROW, dishonest=True)


def in_year(kind: K, n: int, **attrs: object) -> Build:
    days = [AS_OF - dt.timedelta(days=30 * i) for i in range(n)]
    return lambda h: h.incident(kind, *days, **attrs)  # type: ignore[arg-type]


def one_outside(kind: K, n: int, **attrs: object) -> Build:
    """n incidents, one of them exactly one year before D (so only n − 1 count)."""
    days = [AS_OF - dt.timedelta(days=30 * i) for i in range(n - 1)] + [ONE_YEAR_AGO]
    return lambda h: h.incident(kind, *days, **attrs)  # type: ignore[arg-type]


def at_window_edge(kind: K, inside: bool, **attrs: object) -> Build:
    day = JUST_INSIDE_YEAR if inside else ONE_YEAR_AGO
    return lambda h: h.incident(kind, day, **attrs)  # type: ignore[arg-type]


def late_in_year(n: int) -> Build:
    return lambda h: h.late(*[AS_OF - dt.timedelta(days=1 + 30 * i) for i in range(n)])


def late_one_outside(n: int) -> Build:
    dues = [AS_OF - dt.timedelta(days=1 + 30 * i) for i in range(n - 1)] + [ONE_YEAR_AGO]
    return lambda h: h.late(*dues)


def unpaid(due: dt.date) -> Build:
    return lambda h: h.unpaid(due)


def theft(amount: str, day: dt.date = AS_OF) -> Build:
    return lambda h: h.incident(K.THEFT, day, amount=amount)


def outage(asset_class: str, *days: dt.date) -> Build:
    return lambda h: h.incident(K.OUTAGE_CAUSED, *(days or (AS_OF,)), asset_class=asset_class)


def damage(severity: Severity, inside: bool = True) -> Build:
    return at_window_edge(K.FACILITY_DAMAGE, inside, severity=severity)


# --------------------------------------------------------------------------------------------
# Green / blue requirements shared by all shipped tables
# --------------------------------------------------------------------------------------------


def green_cases(source: str) -> list[Case]:
    return [
        Case(
            "G1", lambda h: h.account(mode=PaymentMode.POSTPAID), unpaid(AS_OF), Level.BLUE
        ),  # a bill due on D is not yet arrears
        Case(
            "G1",
            unpaid(AS_OF - dt.timedelta(days=1)),
            lambda h: h.bill(due=AS_OF - dt.timedelta(days=1), paid={AS_OF: "100.00"}),
            Level.YELLOW,
            "overdue",
        ),
        Case(
            "G2",
            lambda h: h.late(JUST_INSIDE_THREE_YEARS),
            lambda h: h.late(THREE_YEARS_AGO),
            Level.BLUE,
        ),
        Case(
            "G3",
            lambda h: h.incident(K.VIOLATION, OPENED),
            lambda h: h.incident(K.VIOLATION, OPENED - dt.timedelta(days=1)),
            Level.BLUE,
        ),
        Case("G4", dishonest_report(source), older_dishonest_report(source), Level.YELLOW),
    ]


def jiangsu_style_blue(source: str) -> list[Case]:
    """B1 no late payment in 1 year; B2 no violation in 3 years; B3 report (Lianshui/Huaiyin)."""
    return [
        Case(
            "B1", lambda h: h.late(JUST_INSIDE_YEAR), lambda h: h.late(ONE_YEAR_AGO), Level.YELLOW
        ),
        Case(
            "B2",
            lambda h: h.incident(K.VIOLATION, JUST_INSIDE_THREE_YEARS),
            lambda h: h.incident(K.VIOLATION, THREE_YEARS_AGO),
            Level.YELLOW,
        ),
        Case("B3", dishonest_report(source), future_dishonest_report(source), Level.YELLOW),
    ]


# --------------------------------------------------------------------------------------------
# Five-level tables: Lianshui (water) and Huaiyin (power), reused by Shaoguan and Zhanjiang
# --------------------------------------------------------------------------------------------


def five_level_common(theft_limit: str, just_under: str, just_over: str) -> list[Case]:
    return [
        Case("Y1", unpaid(dt.date(2026, 4, 30)), unpaid(dt.date(2026, 5, 1)), Level.YELLOW),
        Case("Y2", late_in_year(2), late_one_outside(2), Level.YELLOW),
        Case(
            "Y3",
            in_year(K.HAZARD_UNRECTIFIED, 2),
            one_outside(K.HAZARD_UNRECTIFIED, 2),
            Level.YELLOW,
        ),
        Case(
            "Y4",
            lambda h: h.incident(K.METER_REFUSAL, AS_OF),
            lambda h: h.incident(K.METER_REFUSAL, TOMORROW),
            Level.YELLOW,
        ),
        # Arrears: due 2026-03-31 rated 2026-06-30 is 3 whole months.
        Case("R1", unpaid(dt.date(2026, 3, 31)), unpaid(dt.date(2026, 4, 1)), Level.RED),
        Case("R2", late_in_year(3), late_one_outside(3), Level.RED),
        # 以下 includes the number: a theft of exactly the limit fires R3 (and K3, black wins).
        Case("R3", theft(theft_limit), theft(just_over), Level.BLACK),
        Case("R3", theft(just_under), theft(just_under, ONE_YEAR_AGO), Level.RED, "under-limit"),
        Case("R3", in_year(K.VIOLATION, 2), one_outside(K.VIOLATION, 2), Level.RED, "violations"),
        Case(
            "R4", in_year(K.GENERAL_DISHONESTY, 2), one_outside(K.GENERAL_DISHONESTY, 2), Level.RED
        ),
        Case(
            "R5", in_year(K.HAZARD_UNRECTIFIED, 3), one_outside(K.HAZARD_UNRECTIFIED, 3), Level.RED
        ),
        Case("R6", in_year(K.METER_REFUSAL, 2), one_outside(K.METER_REFUSAL, 2), Level.RED),
        Case("R8", damage(Severity.MINOR), damage(Severity.MINOR, inside=False), Level.RED),
        Case(
            "R9",
            at_window_edge(K.MALICIOUS_COMPLAINT, True),
            at_window_edge(K.MALICIOUS_COMPLAINT, False),
            Level.RED,
        ),
        # Due 2025-12-31 + 6 months clamps to 2026-06-30: six whole months on D.
        Case("K1", unpaid(dt.date(2025, 12, 31)), unpaid(dt.date(2026, 1, 1)), Level.BLACK),
        Case("K2", late_in_year(5), late_one_outside(5), Level.BLACK),
        Case("K3", theft(theft_limit), theft(just_under), Level.BLACK),
        Case(
            "K3",
            in_year(K.THEFT, 2, amount="1.00"),
            one_outside(K.THEFT, 2, amount="1.00"),
            Level.BLACK,
            "two-thefts",
        ),
        Case("K3", in_year(K.VIOLATION, 3), one_outside(K.VIOLATION, 3), Level.BLACK, "violations"),
        Case(
            "K4",
            in_year(K.SERIOUS_DISHONESTY, 2),
            one_outside(K.SERIOUS_DISHONESTY, 2),
            Level.BLACK,
        ),
        Case(
            "K5",
            in_year(K.HAZARD_UNRECTIFIED, 4),
            one_outside(K.HAZARD_UNRECTIFIED, 4),
            Level.BLACK,
        ),
        Case("K6", in_year(K.METER_REFUSAL, 3), one_outside(K.METER_REFUSAL, 3), Level.BLACK),
        Case("K8", damage(Severity.SERIOUS), damage(Severity.MINOR), Level.BLACK),
        Case(
            "K9",
            at_window_edge(K.PROTECTION_ZONE_WORK, True),
            at_window_edge(K.PROTECTION_ZONE_WORK, False),
            Level.BLACK,
        ),
        Case(
            "K10",
            at_window_edge(K.PLAN_REFUSAL, True),
            at_window_edge(K.PLAN_REFUSAL, False),
            Level.BLACK,
        ),
        Case(
            "K11",
            at_window_edge(K.ORDER_DISRUPTION, True),
            at_window_edge(K.ORDER_DISRUPTION, False),
            Level.BLACK,
        ),
    ]


def five_level_upper_bounds(just_under: str) -> list[Case]:
    """Upper ends of bounded ranges: the top value still fires, one more does not."""
    return [
        Case("Y1", unpaid(dt.date(2026, 3, 31)), unpaid(dt.date(2026, 2, 28)), Level.RED, "upper"),
        Case("Y2", late_in_year(2), late_in_year(3), Level.YELLOW, "upper"),
        Case(
            "Y3",
            in_year(K.HAZARD_UNRECTIFIED, 2),
            in_year(K.HAZARD_UNRECTIFIED, 3),
            Level.YELLOW,
            "upper",
        ),
        Case("Y4", in_year(K.METER_REFUSAL, 1), in_year(K.METER_REFUSAL, 2), Level.YELLOW, "upper"),
        # 6个月以内 includes 6 (K1 fires too); 7 months is past R1.
        Case(
            "R1", unpaid(dt.date(2025, 12, 31)), unpaid(dt.date(2025, 11, 30)), Level.BLACK, "upper"
        ),
        # 5次以下 includes 5 (K2 fires too); 6 is past R2.
        Case("R2", late_in_year(5), late_in_year(6), Level.BLACK, "upper"),
        Case("R3", in_year(K.VIOLATION, 2), in_year(K.VIOLATION, 3), Level.RED, "violations-upper"),
        Case(
            "R3",
            theft(just_under),
            in_year(K.THEFT, 2, amount=just_under),
            Level.RED,
            "theft-upper",
        ),
        Case(
            "R5",
            in_year(K.HAZARD_UNRECTIFIED, 3),
            in_year(K.HAZARD_UNRECTIFIED, 4),
            Level.RED,
            "upper",
        ),
        Case("R6", in_year(K.METER_REFUSAL, 2), in_year(K.METER_REFUSAL, 3), Level.RED, "upper"),
    ]


def water_outages() -> list[Case]:
    return [
        # R7 (DN160 class) always comes with K7 (DN160 and larger): the level is black.
        Case("R7", outage("DN160"), outage("DN150"), Level.BLACK),
        Case("K7", outage("DN160"), outage("DN150"), Level.BLACK),
        Case("K7", outage("DN300"), outage("DN100", AS_OF, JUST_INSIDE_YEAR), Level.BLACK, "dn300"),
    ]


def power_outages() -> list[Case]:
    return [
        Case("R7", outage("10kV"), outage("10kV", AS_OF, JUST_INSIDE_YEAR), Level.RED),
        Case("K7", outage("35kV"), outage("20kV"), Level.BLACK),
        Case(
            "K7",
            outage("10kV", AS_OF, JUST_INSIDE_YEAR),
            outage("10kV", AS_OF, ONE_YEAR_AGO),
            Level.BLACK,
            "two-10kv",
        ),
    ]


def lianshui_table(source: str) -> list[Case]:
    return (
        green_cases(source)
        + jiangsu_style_blue(source)
        + five_level_common("10000", "9999.99", "10000.01")
        + five_level_upper_bounds("9999.99")
        + water_outages()
    )


def huaiyin_table(source: str) -> list[Case]:
    return (
        green_cases(source)
        + jiangsu_style_blue(source)
        + five_level_common("500000", "499999.99", "500000.01")
        + five_level_upper_bounds("499999.99")
        + power_outages()
    )


# --------------------------------------------------------------------------------------------
# Suizhou: four levels, its own numbering
# --------------------------------------------------------------------------------------------


def suizhou_table(source: str) -> list[Case]:
    return [
        *green_cases(source),
        # B1 (drafting error) read as "no arrears of 2 months or more".
        Case("B1", unpaid(dt.date(2026, 4, 30)), unpaid(dt.date(2026, 5, 1)), Level.YELLOW),
        Case(
            "B2", lambda h: h.late(JUST_INSIDE_YEAR), lambda h: h.late(ONE_YEAR_AGO), Level.YELLOW
        ),
        Case(
            "B3",
            lambda h: h.incident(K.VIOLATION, JUST_INSIDE_THREE_YEARS),
            lambda h: h.incident(K.VIOLATION, THREE_YEARS_AGO),
            Level.YELLOW,
        ),
        Case("B4", dishonest_report(source), future_dishonest_report(source), Level.YELLOW),
        Case("Y1", late_in_year(3), late_one_outside(3), Level.YELLOW),
        Case("Y1", late_in_year(5), late_in_year(6), Level.RED, "upper"),
        Case(
            "Y2", in_year(K.VIOLATION, 2), in_year(K.VIOLATION, 3), Level.YELLOW, "violations-upper"
        ),
        Case("Y2", theft("10000"), theft("10000.01"), Level.RED),
        Case("Y2", theft("9999.99"), theft("9999.99", ONE_YEAR_AGO), Level.YELLOW, "under-limit"),
        Case(
            "Y2", in_year(K.VIOLATION, 2), one_outside(K.VIOLATION, 2), Level.YELLOW, "violations"
        ),
        Case(
            "Y3",
            in_year(K.GENERAL_DISHONESTY, 2),
            one_outside(K.GENERAL_DISHONESTY, 2),
            Level.YELLOW,
        ),
        # 以内 includes DN160; DN160 also fires R7 (以上 includes it too), so red wins there.
        Case("Y4", outage("DN100"), outage("DN200"), Level.YELLOW),
        Case("Y4", outage("DN160"), outage("DN160", TOMORROW), Level.RED, "dn160"),
        Case(
            "Y4",
            outage("DN100", AS_OF, JUST_INSIDE_YEAR),
            outage("DN100", ONE_YEAR_AGO),
            Level.YELLOW,
            "two-small-outages",
        ),
        Case("Y5", damage(Severity.MINOR), damage(Severity.MINOR, inside=False), Level.YELLOW),
        Case(
            "Y6",
            at_window_edge(K.MALICIOUS_COMPLAINT, True),
            at_window_edge(K.MALICIOUS_COMPLAINT, False),
            Level.YELLOW,
        ),
        Case("R1", unpaid(dt.date(2025, 12, 31)), unpaid(dt.date(2026, 1, 1)), Level.RED),
        Case("R2", late_in_year(5), late_one_outside(5), Level.RED),
        Case("R3", theft("10000"), theft("9999.99"), Level.RED),
        Case(
            "R3",
            in_year(K.THEFT, 2, amount="1.00"),
            one_outside(K.THEFT, 2, amount="1.00"),
            Level.RED,
            "two-thefts",
        ),
        Case("R3", in_year(K.VIOLATION, 3), one_outside(K.VIOLATION, 3), Level.RED, "violations"),
        Case(
            "R4", in_year(K.SERIOUS_DISHONESTY, 2), one_outside(K.SERIOUS_DISHONESTY, 2), Level.RED
        ),
        Case(
            "R5", in_year(K.HAZARD_UNRECTIFIED, 4), one_outside(K.HAZARD_UNRECTIFIED, 4), Level.RED
        ),
        Case("R6", in_year(K.METER_REFUSAL, 3), one_outside(K.METER_REFUSAL, 3), Level.RED),
        Case("R7", outage("DN160"), outage("DN150"), Level.RED),
        Case("R8", damage(Severity.SERIOUS), damage(Severity.MINOR), Level.RED),
        Case(
            "R9",
            at_window_edge(K.PROTECTION_ZONE_WORK, True),
            at_window_edge(K.PROTECTION_ZONE_WORK, False),
            Level.RED,
        ),
        Case(
            "R10",
            at_window_edge(K.PLAN_REFUSAL, True),
            at_window_edge(K.PLAN_REFUSAL, False),
            Level.RED,
        ),
        Case(
            "R11",
            at_window_edge(K.ORDER_DISRUPTION, True),
            at_window_edge(K.ORDER_DISRUPTION, False),
            Level.RED,
        ),
    ]


STYLES: dict[str, tuple[Style, Callable[[str], list[Case]]]] = {
    "lianshui-water": (Style("lianshui-water", Utility.WATER, "jiangsu"), lianshui_table),
    "shaoguan-water": (Style("shaoguan-water", Utility.WATER, "guangdong"), lianshui_table),
    "huaiyin-power": (Style("huaiyin-power", Utility.POWER, "jiangsu"), huaiyin_table),
    "zhanjiang-power": (Style("zhanjiang-power", Utility.POWER, "guangdong"), huaiyin_table),
    "suizhou-water": (Style("suizhou-water", Utility.WATER, "hubei"), suizhou_table),
}

CASES: list[tuple[Style, Case]] = [
    (style, case) for style, table in STYLES.values() for case in table(style.source)
]


def case_id(item: tuple[Style, Case]) -> str:
    style, case = item
    return f"{style.key}-{case.clause_id}" + (f"-{case.variant}" if case.variant else "")


@pytest.mark.parametrize("item", CASES, ids=[case_id(item) for item in CASES])
def test_clause_at_its_boundary(item: tuple[Style, Case]) -> None:
    style, case = item
    clause = policy_of(style.key).clause(case.clause_id)
    hit, miss = (
        (ClauseStatus.FIRED, ClauseStatus.CLEAR)
        if clause.level.is_trigger
        else (ClauseStatus.FAILED, ClauseStatus.HELD)
    )

    firing = rate(style, case.fires)
    assert firing.result(case.clause_id).status == hit
    assert firing.result(case.clause_id).evidence, "a decided clause carries its evidence"
    assert firing.level == case.level

    past = rate(style, case.boundary)
    assert past.result(case.clause_id).status == miss


def test_every_shipped_clause_has_a_case() -> None:
    covered = {(style.key, case.clause_id) for style, case in CASES if not case.variant}
    shipped = {(lp.key, clause.id) for lp in list_policies() for clause in lp.policy.clauses}
    assert shipped == covered


def test_the_clean_history_is_green_under_every_policy() -> None:
    for style, _ in STYLES.values():
        assert rate(style, lambda h: h).level == Level.GREEN
