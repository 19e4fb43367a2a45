"""The override workflow, as a reviewer would state its rules."""

from __future__ import annotations

import datetime as dt

import pytest

from utilcredit.overrides.model import (
    MAX_OVERRIDE_DAYS,
    Override,
    OverrideRuleError,
    OverrideState,
    approve,
    effective_level,
    reject,
    request,
    withdraw,
)
from utilcredit.policies.model.levels import Level

TODAY = dt.date(2026, 11, 22)


def requested(**changes: object) -> Override:
    values: dict[str, object] = {
        "subject_code": "913208260000000012",
        "policy_key": "lianshui-water",
        "level": Level.RED,
        "computed_level": Level.BLACK,
        "reason": "已签订分期还款协议",
        "expires_on": TODAY + dt.timedelta(days=30),
        "requested_by": "operator",
        "today": TODAY,
    }
    values.update(changes)
    return request(**values)  # type: ignore[arg-type]


def test_a_request_waits_for_review() -> None:
    override = requested()
    assert override.state == OverrideState.REQUESTED
    assert not override.in_force_on(TODAY)


def test_approved_override_applies_until_its_expiry_day_inclusive() -> None:
    override = approve(requested(), reviewer="reviewer", today=TODAY, note=None)
    assert override.in_force_on(TODAY + dt.timedelta(days=30))
    assert override.state_on(TODAY + dt.timedelta(days=31)) == OverrideState.EXPIRED


def test_nobody_approves_their_own_request() -> None:
    with pytest.raises(OverrideRuleError, match="requester"):
        approve(requested(), reviewer="operator", today=TODAY, note=None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": "  短  "}, "reason"),
        ({"level": Level.BLACK}, "equals the computed level"),
        ({"expires_on": TODAY}, "after today"),
        ({"expires_on": TODAY + dt.timedelta(days=MAX_OVERRIDE_DAYS + 1)}, "at most"),
    ],
)
def test_a_request_needs_a_reason_a_different_level_and_a_bounded_expiry(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(OverrideRuleError, match=message):
        requested(**changes)


def test_decisions_happen_once() -> None:
    decided = reject(requested(), reviewer="reviewer", today=TODAY, note="证据不足")
    with pytest.raises(OverrideRuleError, match="already rejected"):
        approve(decided, reviewer="reviewer", today=TODAY, note=None)


def test_rejection_needs_a_note_and_only_the_requester_withdraws() -> None:
    with pytest.raises(OverrideRuleError, match="note"):
        reject(requested(), reviewer="reviewer", today=TODAY, note=" ")
    with pytest.raises(OverrideRuleError, match="only the requester"):
        withdraw(requested(), by="someone", today=TODAY)
    assert withdraw(requested(), by="operator", today=TODAY).state == OverrideState.WITHDRAWN


def test_cannot_approve_after_the_requested_expiry() -> None:
    late = TODAY + dt.timedelta(days=31)
    with pytest.raises(OverrideRuleError, match="passed"):
        approve(requested(), reviewer="reviewer", today=late, note=None)


def test_effective_level_keeps_the_computed_one_beside_it() -> None:
    first = approve(requested(level=Level.YELLOW), reviewer="r", today=TODAY, note=None)
    later = approve(
        requested(level=Level.RED), reviewer="r", today=TODAY + dt.timedelta(days=1), note=None
    )
    result = effective_level(Level.BLACK, [first, later], TODAY + dt.timedelta(days=2))
    assert (result.computed, result.effective, result.override) == (Level.BLACK, Level.RED, later)
    expired = effective_level(Level.BLACK, [first], TODAY + dt.timedelta(days=60))
    assert expired.effective == Level.BLACK and expired.override is None
