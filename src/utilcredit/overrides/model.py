"""The override workflow as a pure state machine (no database, no clock).

An operator requests a level for a subject under a policy, with a reason and an expiry date;
a reviewer (never the requester) approves or rejects it; the requester may withdraw it while
it waits. An approved override applies from approval up to and including its expiry date;
after that it has expired by itself. The computed level is always kept beside it.

    requested ──approve──► approved ──(expires_on passes)──► expired (derived, not stored)
        │  └──reject──► rejected
        └──withdraw──► withdrawn
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from utilcredit.policies.model.levels import Level

MAX_OVERRIDE_DAYS = 366
MIN_REASON_LENGTH = 4


class OverrideState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"  # derived: approved and past its expiry date


STATE_LABELS: dict[OverrideState, tuple[str, str]] = {
    OverrideState.REQUESTED: ("待审核", "awaiting review"),
    OverrideState.APPROVED: ("已批准", "approved"),
    OverrideState.REJECTED: ("已驳回", "rejected"),
    OverrideState.WITHDRAWN: ("已撤回", "withdrawn"),
    OverrideState.EXPIRED: ("已到期", "expired"),
}


class OverrideRuleError(ValueError):
    """A transition the workflow does not allow; the message is Chinese / English."""


@dataclass(frozen=True, slots=True)
class Override:
    id: int | None
    subject_code: str
    policy_key: str
    level: Level
    computed_level: Level  # what the engine said when the override was requested
    reason: str
    expires_on: dt.date
    state: OverrideState
    requested_by: str
    requested_on: dt.date
    decided_by: str | None = None
    decided_on: dt.date | None = None
    decision_note: str | None = None

    def state_on(self, day: dt.date) -> OverrideState:
        if self.state == OverrideState.APPROVED and day > self.expires_on:
            return OverrideState.EXPIRED
        return self.state

    def in_force_on(self, day: dt.date) -> bool:
        return self.state_on(day) == OverrideState.APPROVED


def request(
    *,
    subject_code: str,
    policy_key: str,
    level: Level,
    computed_level: Level,
    reason: str,
    expires_on: dt.date,
    requested_by: str,
    today: dt.date,
) -> Override:
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise OverrideRuleError(
            f"须填写调整理由（至少 {MIN_REASON_LENGTH} 个字） / "
            f"a reason of at least {MIN_REASON_LENGTH} characters is required"
        )
    if level == computed_level:
        raise OverrideRuleError(
            "调整后的等级与计算等级相同 / the override level equals the computed level"
        )
    _check_expiry(expires_on, today)
    return Override(
        id=None,
        subject_code=subject_code,
        policy_key=policy_key,
        level=level,
        computed_level=computed_level,
        reason=reason,
        expires_on=expires_on,
        state=OverrideState.REQUESTED,
        requested_by=requested_by,
        requested_on=today,
    )


def _check_expiry(expires_on: dt.date, today: dt.date) -> None:
    if expires_on <= today:
        raise OverrideRuleError("到期日须晚于今天 / the expiry date must be after today")
    if (expires_on - today).days > MAX_OVERRIDE_DAYS:
        raise OverrideRuleError(
            f"有效期不得超过 {MAX_OVERRIDE_DAYS} 天 / an override lasts at most "
            f"{MAX_OVERRIDE_DAYS} days"
        )


def _must_wait(override: Override) -> None:
    if override.state != OverrideState.REQUESTED:
        raise OverrideRuleError(
            f"该申请已处理（{override.state.value}） / the request is already {override.state.value}"
        )


def approve(override: Override, *, reviewer: str, today: dt.date, note: str | None) -> Override:
    _must_wait(override)
    if reviewer == override.requested_by:
        raise OverrideRuleError(
            "申请人不能审核自己的申请 / the requester cannot approve their own request"
        )
    if override.expires_on <= today:
        raise OverrideRuleError("申请的到期日已过，不能批准 / the requested expiry date has passed")
    return replace(
        override,
        state=OverrideState.APPROVED,
        decided_by=reviewer,
        decided_on=today,
        decision_note=(note or "").strip() or None,
    )


def reject(override: Override, *, reviewer: str, today: dt.date, note: str | None) -> Override:
    _must_wait(override)
    if reviewer == override.requested_by:
        raise OverrideRuleError(
            "申请人不能审核自己的申请 / the requester cannot decide their own request"
        )
    if not (note or "").strip():
        raise OverrideRuleError("驳回须说明理由 / a rejection needs a note")
    return replace(
        override,
        state=OverrideState.REJECTED,
        decided_by=reviewer,
        decided_on=today,
        decision_note=(note or "").strip(),
    )


def withdraw(override: Override, *, by: str, today: dt.date) -> Override:
    _must_wait(override)
    if by != override.requested_by:
        raise OverrideRuleError("只有申请人可以撤回 / only the requester can withdraw")
    return replace(override, state=OverrideState.WITHDRAWN, decided_by=by, decided_on=today)


@dataclass(frozen=True, slots=True)
class EffectiveLevel:
    """The level in force, with the computed level always beside it."""

    computed: Level
    effective: Level
    override: Override | None


def effective_level(computed: Level, overrides: list[Override], today: dt.date) -> EffectiveLevel:
    """The most recently approved override in force wins; otherwise the computed level."""
    in_force = [o for o in overrides if o.in_force_on(today)]
    if not in_force:
        return EffectiveLevel(computed, computed, None)
    latest = max(in_force, key=lambda o: (o.decided_on or o.requested_on, o.id or 0))
    return EffectiveLevel(computed, latest.level, latest)


def next_change_on(computed_next: dt.date | None, level: EffectiveLevel) -> dt.date | None:
    """When the level shown changes next: the earlier of the computed level's next change and
    the end of the override in force. An override applies up to and including its expiry
    date, so the level it set gives way the day after."""
    if level.override is None:
        return computed_next
    ends = level.override.expires_on + dt.timedelta(days=1)
    return ends if computed_next is None else min(computed_next, ends)
