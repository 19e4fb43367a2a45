"""The pure rules of notices: who is told what on which channel, quiet hours, retries, the
machine, and the policy templates' variables."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from utilcredit.localtime import SHANGHAI
from utilcredit.notices.model import (
    NOTICE_MACHINE,
    Contact,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    OverdueAccount,
    QuietHours,
    address_problem,
    backoff,
    demand_due,
    fill,
    level_change_notices,
    yuan,
)
from utilcredit.policies.model.notices import NoticeRules, NoticeTemplate, template_variables
from utilcredit.policies.service import policy_at
from utilcredit.workflow import TransitionRefusedError

_RULES = policy_at("lianshui-water", None).policy.notices
assert _RULES is not None
RULES: NoticeRules = _RULES


def contact(**values: object) -> Contact:
    base: dict[str, object] = {
        "subject_id": 7,
        "name": "涟水示范实业有限公司",
        "mobile": "13812345678",
        "postal": "涟水县安东北路1号",
    }
    return Contact(**(base | values))  # type: ignore[arg-type]


def kinds(drafts: list) -> set[tuple[NoticeKind, NoticeChannel]]:  # type: ignore[type-arg]
    return {(d.kind, d.channel) for d in drafts}


# ---- level changes ----------------------------------------------------------------------------


def test_red_gets_a_letter_and_an_sms_pointing_to_it() -> None:
    drafts = level_change_notices(RULES, "change:1", ("green", "red"), contact(), {})
    assert kinds(drafts) == {
        (NoticeKind.NOTICE_LETTER, NoticeChannel.LETTER),
        (NoticeKind.LETTER_POINTER, NoticeChannel.SMS),
    }
    assert {d.key for d in drafts} == {"change:1:notice_letter", "change:1:letter_pointer"}
    letter = next(d for d in drafts if d.channel is NoticeChannel.LETTER)
    assert letter.recipient == "涟水县安东北路1号"


def test_the_letter_ignores_opt_outs_and_the_sms_honours_them() -> None:
    opted = contact(opted_out=frozenset({NoticeChannel.SMS, NoticeChannel.LETTER}))
    drafts = level_change_notices(RULES, "change:1", (None, "black"), opted, {})
    assert kinds(drafts) == {(NoticeKind.NOTICE_LETTER, NoticeChannel.LETTER)}


def test_yellow_takes_the_first_channel_that_reaches() -> None:
    assert kinds(level_change_notices(RULES, "c", ("blue", "yellow"), contact(), {})) == {
        (NoticeKind.REMINDER, NoticeChannel.SMS)
    }
    wechat_only = contact(mobile=None, wechat="oWx_123456789")
    assert kinds(level_change_notices(RULES, "c", ("blue", "yellow"), wechat_only, {})) == {
        (NoticeKind.REMINDER, NoticeChannel.WECHAT)
    }


def test_yellow_without_a_mobile_channel_becomes_a_phone_call_task() -> None:
    no_sms = contact(opted_out=frozenset({NoticeChannel.SMS}))
    drafts = level_change_notices(RULES, "c", ("blue", "yellow"), no_sms, {})
    assert kinds(drafts) == {(NoticeKind.REMINDER, NoticeChannel.CALL)}
    nobody = contact(mobile=None)
    assert level_change_notices(RULES, "c", ("blue", "yellow"), nobody, {}) == []


def test_a_good_level_is_told_only_when_it_is_a_way_back() -> None:
    assert kinds(level_change_notices(RULES, "c", ("red", "green"), contact(), {})) == {
        (NoticeKind.RESTORED, NoticeChannel.SMS)
    }
    assert level_change_notices(RULES, "c", (None, "green"), contact(), {}) == []
    assert level_change_notices(RULES, "c", ("green", "blue"), contact(), {}) == []


# ---- demands ----------------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 1)


def account(**values: object) -> OverdueAccount:
    base: dict[str, object] = {
        "subject_id": 7,
        "account_id": 3,
        "account_no": "LS-0003",
        "owed_fen": 250_00,
        "bill_count": 2,
        "oldest_due_on": TODAY - dt.timedelta(days=40),
        "last_demand_on": None,
    }
    return OverdueAccount(**(base | values))  # type: ignore[arg-type]


def test_demand_rule() -> None:
    rule = RULES.demand
    assert rule is not None
    assert demand_due(RULES, account(), TODAY)
    young = TODAY - dt.timedelta(days=rule.days_after_due - 1)
    assert not demand_due(RULES, account(oldest_due_on=young), TODAY)
    assert demand_due(
        RULES, account(oldest_due_on=TODAY - dt.timedelta(days=rule.days_after_due)), TODAY
    )
    assert not demand_due(RULES, account(owed_fen=rule.min_amount_fen - 1), TODAY)
    recent = TODAY - dt.timedelta(days=rule.repeat_after_days - 1)
    assert not demand_due(RULES, account(last_demand_on=recent), TODAY)
    old = TODAY - dt.timedelta(days=rule.repeat_after_days)
    assert demand_due(RULES, account(last_demand_on=old), TODAY)


def test_yuan_is_exact() -> None:
    assert yuan(123456) == "1,234.56"
    assert yuan(5) == "0.05"
    assert yuan(-1999) == "-19.99"


# ---- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "address", "ok"),
    [
        (NoticeChannel.SMS, "13812345678", True),
        (NoticeChannel.SMS, "+8613812345678", True),
        (NoticeChannel.SMS, "0517-82345678", False),
        (NoticeChannel.SMS, "1381234567", False),
        (NoticeChannel.CALL, "0517-82345678", True),
        (NoticeChannel.EMAIL, "finance@example.cn", True),
        (NoticeChannel.EMAIL, "finance.example.cn", False),
        (NoticeChannel.EMAIL, "a@b", False),
        (NoticeChannel.WECHAT, "oWx_123456789", True),
        (NoticeChannel.WECHAT, "含中文", False),
        (NoticeChannel.LETTER, "  ", False),
        (NoticeChannel.SMS, None, False),
    ],
)
def test_address_problems(channel: NoticeChannel, address: str | None, ok: bool) -> None:
    problem = address_problem(channel, address)
    assert (problem is None) is ok
    if not ok:
        assert "/" in problem  # type: ignore[operator]  # bilingual


# ---- quiet hours and retries ------------------------------------------------------------------

QUIET = QuietHours(dt.time(21), dt.time(8))


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (dt.datetime(2026, 12, 1, 20, 59), dt.datetime(2026, 12, 1, 20, 59)),
        (dt.datetime(2026, 12, 1, 21, 0), dt.datetime(2026, 12, 2, 8, 0)),
        (dt.datetime(2026, 12, 1, 23, 30), dt.datetime(2026, 12, 2, 8, 0)),
        (dt.datetime(2026, 12, 2, 3, 0), dt.datetime(2026, 12, 2, 8, 0)),
        (dt.datetime(2026, 12, 2, 8, 0), dt.datetime(2026, 12, 2, 8, 0)),
    ],
)
def test_quiet_hours_across_midnight(local: dt.datetime, expected: dt.datetime) -> None:
    at = local.replace(tzinfo=SHANGHAI)
    assert QUIET.next_allowed(at) == expected.replace(tzinfo=SHANGHAI)


@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)))
def test_next_allowed_is_never_quiet_and_never_earlier(naive: dt.datetime) -> None:
    at = naive.replace(tzinfo=SHANGHAI)
    allowed = QUIET.next_allowed(at)
    assert allowed >= at
    assert not QUIET.holds(allowed)
    assert allowed - at <= dt.timedelta(hours=11)


def test_a_daytime_quiet_period_and_none() -> None:
    lunch = QuietHours(dt.time(12), dt.time(14))
    assert lunch.holds(dt.datetime(2026, 12, 1, 13, tzinfo=SHANGHAI))
    assert not lunch.holds(dt.datetime(2026, 12, 1, 14, tzinfo=SHANGHAI))
    assert not QuietHours(dt.time(8), dt.time(8)).holds(dt.datetime(2026, 12, 1, 8))


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        60,
        120,
        240,
        3600,
        3600,
        3600,
    ]


# ---- the machine ------------------------------------------------------------------------------


def test_the_machine_refuses_what_it_does_not_list() -> None:
    assert NOTICE_MACHINE.target(NoticeStatus.DEAD, "resend") is NoticeStatus.QUEUED
    assert NOTICE_MACHINE.target(NoticeStatus.SENDING, "interrupt") is NoticeStatus.DEAD
    with pytest.raises(TransitionRefusedError):
        NOTICE_MACHINE.target(NoticeStatus.SENT, "resend")
    with pytest.raises(TransitionRefusedError):
        NOTICE_MACHINE.target(NoticeStatus.DELIVERED, "cancel")


# ---- templates --------------------------------------------------------------------------------


def test_fill_writes_variables_and_marks_missing_ones() -> None:
    template = NoticeTemplate(
        kind=NoticeKind.REMINDER, channel=NoticeChannel.SMS, text="{subject_name}：{level_zh}"
    )
    assert fill(template, {"subject_name": "甲公司", "level_zh": "黄色"}) == "甲公司：黄色"
    assert fill(template, {"subject_name": "甲公司"}) == "甲公司：—"


def test_an_unknown_variable_is_a_policy_error() -> None:
    with pytest.raises(ValidationError, match=r"unknown template variable \{amount_yuan\}"):
        NoticeTemplate(kind=NoticeKind.REMINDER, channel=NoticeChannel.SMS, text="{amount_yuan}")
    with pytest.raises(ValidationError, match="plain name"):
        NoticeTemplate(kind=NoticeKind.DEMAND, channel=NoticeChannel.SMS, text="{amount_yuan!r}")
    with pytest.raises(ValueError, match="braces"):
        template_variables("{subject_name")


def test_a_channel_without_its_template_is_a_policy_error() -> None:
    data = RULES.model_dump(mode="json")
    data["templates"] = [t for t in data["templates"] if t["kind"] != "letter_pointer"]
    with pytest.raises(ValidationError, match="no letter_pointer template for the sms channel"):
        NoticeRules.model_validate(data)


def test_every_shipped_template_renders_with_every_variable_of_its_kind() -> None:
    from utilcredit.policies.model.notices import NOTICE_VARIABLES
    from utilcredit.policies.service import shipped

    for loaded in shipped():
        rules = loaded.policy.notices
        assert rules is not None, loaded.key
        for template in rules.templates:
            text = fill(template, dict.fromkeys(NOTICE_VARIABLES[template.kind], "X"))
            assert "{" not in text and "—" not in text, (loaded.key, template.kind)
