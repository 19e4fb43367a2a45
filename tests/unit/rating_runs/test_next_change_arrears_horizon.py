"""The next-change search stops ageing arrears past the policy's highest ``arrears_months``
bound (no clause can change its answer after it) and finds the same date as the search that
aged them ten years, for the shipped policy and for a band clause that heals with age."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.rating.rating_histories import AS_OF, History
from utilcredit.customers.model import Utility
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.conditions import ArrearsMonthsTest, CountBounds
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause, Policy, iter_tests
from utilcredit.rating import next_change as module
from utilcredit.rating.dates import add_months
from utilcredit.rating.next_change import NextChange, candidate_dates, next_change

LIANSHUI = load_policy("lianshui-water").policy

# Lianshui without its arrears clauses, plus a red band that only 1–2 months of arrears fire:
# ageing past it heals the level (to yellow: the unpaid bill still fails B1), which the search
# must still find.
BAND = LIANSHUI.model_copy(
    update={
        "clauses": (
            *(
                c
                for c in LIANSHUI.clauses
                if not any(isinstance(t, ArrearsMonthsTest) for t in iter_tests(c.test))
            ),
            Clause(
                id="R90",
                text="欠费1个月以上2个月以下",
                test=ArrearsMonthsTest(type="arrears_months", months=CountBounds(min=1, max=2)),
            ),
        )
    }
)


def unbounded(
    monkeypatch: pytest.MonkeyPatch, history: History, policy: Policy
) -> tuple[NextChange, list[dt.date]]:
    """What the search gave when it aged arrears 120 months whatever the policy."""
    with monkeypatch.context() as patched:
        patched.setattr(module, "_arrears_months_horizon", lambda _: module._MAX_ARREARS_MONTHS)
        return next_change(history.build(), policy, AS_OF), candidate_dates(
            history.build(), policy, AS_OF
        )


def test_the_horizon_is_the_month_after_the_highest_bound() -> None:
    # Lianshui: 2–3 months yellow, 3–6 red, 6 and more black.
    assert module._arrears_months_horizon(LIANSHUI) == 7
    assert module._arrears_months_horizon(BAND) == 3
    no_arrears = LIANSHUI.model_copy(update={"clauses": BAND.clauses[:-1]})
    assert module._arrears_months_horizon(no_arrears) == 0


@pytest.mark.parametrize("months_unpaid", [0, 1, 2, 3, 5, 7, 9])
def test_the_shipped_policy_gives_the_same_change_with_fewer_dates(
    monkeypatch: pytest.MonkeyPatch, months_unpaid: int
) -> None:
    due = add_months(AS_OF, -months_unpaid) - dt.timedelta(days=1)
    history = History.clean(Utility.WATER, "jiangsu").late(dt.date(2025, 12, 1)).unpaid(due)
    before, dates_before = unbounded(monkeypatch, history, LIANSHUI)
    dates = candidate_dates(history.build(), LIANSHUI, AS_OF)
    assert next_change(history.build(), LIANSHUI, AS_OF) == before
    # What is left out is the ageing past seven months, and nothing else.
    left_out = set(dates_before) - set(dates)
    assert left_out and left_out <= {add_months(due, k) for k in range(8, 121)}
    assert set(dates) <= set(dates_before)


@pytest.mark.parametrize("months_unpaid", [1, 2])
def test_a_band_that_heals_with_age_is_still_found(
    monkeypatch: pytest.MonkeyPatch, months_unpaid: int
) -> None:
    due = add_months(AS_OF, -months_unpaid) - dt.timedelta(days=1)
    history = History.clean(Utility.WATER, "jiangsu").unpaid(due)
    change = next_change(history.build(), BAND, AS_OF)
    assert change == unbounded(monkeypatch, history, BAND)[0]
    assert change.on == add_months(due, 3)  # R90 stops firing at three whole months
    assert (change.level, change.to_level) == (Level.RED, Level.YELLOW)
