"""Random valid policies for the differential tests: the shipped ones, perturbed.

:func:`policies` starts from a shipped policy and redraws what the model lets a policy author
choose: the level set (any non-empty subset of the five levels, the fallback one of them; the
clauses of dropped levels go), which clauses stay, every count and month bound, every window
(1–5 years or since opened, ``no_overdue_in_window``'s too), incident kinds, amount bounds
(inclusive or exclusive, at and between the amounts ``store_builders`` draws, including fractions
of a fen), asset-class ranges on either scale, severities, ``any_of`` / ``all_of``, the trusted
report sources (in any letter case) — and adds fresh clauses of any test type at any level, so
that clause types the shipped policies use only as requirements (reports, report grades,
prepaid accounts, no arrears, no overdue bill in a window, a commitment given) also appear as
triggers with evidence. Designations are the shipped policy's, or redrawn: up to three of fresh
tests (perturbed shipped requirements among them), some with conditions left ``not_encoded``.
Every policy is built through the model's constructors, so it passes the same validation a
policy file does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from utilcredit.customers.model import IncidentKind, Severity
from utilcredit.policies.loader import list_policies
from utilcredit.policies.model.conditions import (
    AllAccountsPrepaidTest,
    AllOfTest,
    AmountBounds,
    AnyOfTest,
    ArrearsMonthsTest,
    AssetClassRange,
    ClauseTest,
    CommitmentGivenTest,
    CountBounds,
    IncidentCountTest,
    LatePaymentCountTest,
    NoArrearsTest,
    NoOverdueInWindowTest,
    NotOnSeriousListTest,
    ReportNoDishonestyTest,
    ReportRatingTest,
    Window,
)
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause, Designation, Policy, Requirement

SHIPPED: tuple[Policy, ...] = tuple(loaded.policy for loaded in list_policies())
LEVEL_ORDER = (Level.GREEN, Level.BLUE, Level.YELLOW, Level.RED, Level.BLACK)
PREFIX = {Level.GREEN: "G", Level.BLUE: "B", Level.YELLOW: "Y", Level.RED: "R", Level.BLACK: "K"}
WINDOWS = (
    Window(years=1),
    Window(years=1),
    Window(years=2),
    Window(years=3),
    Window(years=5),
    Window(since_opened=True),
)
# CNY; the amounts store_builders gives incidents, and values between them and between fen
AMOUNT_EDGES = tuple(
    Decimal(text)
    for text in (
        "0",
        "0.001",
        "0.01",
        "0.015",
        "1",
        "5000",
        "9999.99",
        "9999.995",
        "10000",
        "10000.01",
        "499999.99",
        "500000",
        "500000.01",
    )
)
ASSET_SCALES = ("DN", "kV", "dn", "KV")
ASSET_SIZES = tuple(
    Decimal(n) for n in ("10", "20", "35", "100", "110", "150", "160", "200", "300")
)
SOURCE_SETS = (
    ("jiangsu",),
    ("hubei",),
    ("guangdong",),
    ("JiangSu",),
    ("GUANGDONG", "hubei"),
    ("creditchina", "jiangsu"),
    ("nowhere",),
)


def _count_bounds(draw: Any, highest_min: int = 4) -> CountBounds:
    low: int = draw(st.integers(0, highest_min))
    high: int | None = draw(st.one_of(st.none(), st.integers(low, low + 3)))
    return CountBounds(min=low, max=high)


def _amount_bounds(draw: Any) -> AmountBounds | None:
    shape = draw(st.sampled_from(["none", "lower", "upper", "both", "both"]))
    if shape == "none":
        return None
    low: Decimal = draw(st.sampled_from(AMOUNT_EDGES))
    high: Decimal = draw(st.sampled_from(AMOUNT_EDGES))
    low_inclusive: bool = draw(st.booleans())
    high_inclusive: bool = draw(st.booleans())
    lower = {"gte" if low_inclusive else "gt": low}
    upper = {"lte" if high_inclusive else "lt": high}
    if shape == "lower":
        return AmountBounds(**lower)
    if shape == "upper":
        return AmountBounds(**upper)
    if low > high:
        low, high = high, low
        lower = {"gte" if low_inclusive else "gt": low}
        upper = {"lte" if high_inclusive else "lt": high}
    if low == high and not (low_inclusive and high_inclusive):
        return AmountBounds(gte=low, lte=high)
    return AmountBounds(**lower, **upper)


def _asset_range(draw: Any) -> AssetClassRange | None:
    if draw(st.integers(0, 2)) == 0:
        return None
    low: Decimal | None = draw(st.one_of(st.none(), st.sampled_from(ASSET_SIZES)))
    high: Decimal | None = draw(st.one_of(st.none(), st.sampled_from(ASSET_SIZES)))
    if low is None and high is None:
        low = draw(st.sampled_from(ASSET_SIZES))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return AssetClassRange(scale=draw(st.sampled_from(ASSET_SCALES)), min=low, max=high)


def _kinds(draw: Any, original: tuple[IncidentKind, ...] | None) -> tuple[IncidentKind, ...]:
    if original is not None and draw(st.integers(0, 2)) > 0:
        return original
    drawn: list[IncidentKind] = draw(
        st.lists(st.sampled_from(list(IncidentKind)), min_size=1, max_size=3, unique=True)
    )
    return tuple(drawn)


def _incident_count(draw: Any, original: IncidentCountTest | None = None) -> IncidentCountTest:
    return IncidentCountTest(
        type="incident_count",
        kinds=_kinds(draw, None if original is None else original.kinds),
        window=draw(st.sampled_from(WINDOWS)),
        count=_count_bounds(draw),
        amount=_amount_bounds(draw),
        asset_class=_asset_range(draw),
        severity=draw(st.sampled_from([None, None, Severity.MINOR, Severity.SERIOUS])),
    )


def _late_payment_count(draw: Any) -> LatePaymentCountTest:
    return LatePaymentCountTest(
        type="late_payment_count",
        window=draw(st.sampled_from(WINDOWS)),
        count=_count_bounds(draw, highest_min=3),
    )


def _arrears_months(draw: Any) -> ArrearsMonthsTest:
    return ArrearsMonthsTest(type="arrears_months", months=_count_bounds(draw, highest_min=7))


def _fresh_leaf(draw: Any) -> ClauseTest:
    kind = draw(
        st.sampled_from(
            [
                "incident_count",
                "late_payment_count",
                "arrears_months",
                "no_arrears",
                "no_overdue_in_window",
                "all_accounts_prepaid",
                "report_no_dishonesty",
                "not_on_serious_list",
                "report_rating",
                "commitment_given",
            ]
        )
    )
    match kind:
        case "incident_count":
            return _incident_count(draw)
        case "late_payment_count":
            return _late_payment_count(draw)
        case "arrears_months":
            return _arrears_months(draw)
        case "no_arrears":
            return NoArrearsTest(type="no_arrears")
        case "no_overdue_in_window":
            return NoOverdueInWindowTest(
                type="no_overdue_in_window", window=draw(st.sampled_from(WINDOWS))
            )
        case "all_accounts_prepaid":
            return AllAccountsPrepaidTest(type="all_accounts_prepaid")
        case "report_no_dishonesty":
            return ReportNoDishonestyTest(type="report_no_dishonesty")
        case "report_rating":
            grades = draw(st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, unique=True))
            return ReportRatingTest(type="report_rating", grades=tuple(grades))
        case "commitment_given":
            types = draw(
                st.lists(
                    st.sampled_from(["approval_substitute", "voluntary", "self_discipline"]),
                    max_size=2,
                    unique=True,
                )
            )
            return CommitmentGivenTest(type="commitment_given", types=tuple(types))
        case _:
            return NotOnSeriousListTest(type="not_on_serious_list")


def _fresh_test(draw: Any) -> ClauseTest:
    if draw(st.integers(0, 3)) > 0:
        return _fresh_leaf(draw)
    parts = tuple(_fresh_leaf(draw) for _ in range(draw(st.integers(2, 3))))
    if draw(st.booleans()):
        return AnyOfTest(type="any_of", tests=parts)
    return AllOfTest(type="all_of", tests=parts)


def _perturbed(draw: Any, test: ClauseTest) -> ClauseTest:
    """The test with its parameters redrawn (now and then replaced by a fresh one)."""
    if draw(st.integers(0, 9)) == 0:
        return _fresh_test(draw)
    match test:
        case IncidentCountTest():
            return _incident_count(draw, test)
        case LatePaymentCountTest():
            return _late_payment_count(draw)
        case ArrearsMonthsTest():
            return _arrears_months(draw)
        case NoOverdueInWindowTest():
            return test.model_copy(update={"window": draw(st.sampled_from(WINDOWS))})
        case AnyOfTest() | AllOfTest():
            parts = tuple(_perturbed(draw, part) for part in test.tests)
            if draw(st.booleans()):
                return AnyOfTest(type="any_of", tests=parts)
            return AllOfTest(type="all_of", tests=parts)
        case _:
            return test


@st.composite
def policies(draw: Any) -> Policy:
    """A valid policy: a shipped one with its levels, clauses and parameters redrawn."""
    base: Policy = draw(st.sampled_from(SHIPPED))
    levels = tuple(level for level in LEVEL_ORDER if draw(st.integers(0, 3)) > 0)
    if not levels:
        levels = (draw(st.sampled_from(LEVEL_ORDER)),)
    clauses = [
        clause.model_copy(update={"test": _perturbed(draw, clause.test)})
        for clause in base.clauses
        if clause.level in levels and draw(st.integers(0, 4)) > 0
    ]
    fresh = draw(st.integers(0, 3)) if clauses else draw(st.integers(1, 3))
    for number in range(90, 90 + fresh):
        level: Level = draw(st.sampled_from(levels))
        clauses.append(
            Clause(id=f"{PREFIX[level]}{number}", text="generated", test=_fresh_test(draw))
        )
    effective: dt.date = base.effective_from
    designations = base.designations
    if draw(st.booleans()):
        designations = tuple(
            _designation(draw, number, base) for number in range(draw(st.integers(0, 3)))
        )
    return Policy(
        key=f"{base.key}-generated",
        title=base.title,
        version=base.version,
        effective_from=effective,
        utility=base.utility,
        report_sources=draw(st.sampled_from(SOURCE_SETS)),
        fallback_level=draw(st.sampled_from(levels)),
        levels=levels,
        clauses=tuple(clauses),
        designations=designations,
    )


def _designation(draw: Any, number: int, base: Policy) -> Designation:
    """A designation of fresh requirements (and now and then a shipped one's, perturbed)."""
    shipped = [r.test for d in base.designations for r in d.requirements]
    tests = [
        _perturbed(draw, draw(st.sampled_from(shipped)))
        if shipped and draw(st.integers(0, 2)) == 0
        else _fresh_test(draw)
        for _ in range(draw(st.integers(1, 4)))
    ]
    return Designation(
        key=f"generated_{number}",
        title=f"生成的称号{number}",
        text="generated",
        requirements=tuple(
            Requirement(id=f"R{number}_{i}", text="generated", test=test)
            for i, test in enumerate(tests)
        ),
        not_encoded=("需另行核验",) if draw(st.integers(0, 4)) == 0 else (),
    )
