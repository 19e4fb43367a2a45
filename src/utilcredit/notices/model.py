"""Notices (提醒 · 书面告知函 · 催告, SPEC 2.3; issue 12) as pure rules.

A notice is planned from an event (a level change of a rating run, an approved override, an
overdue account, a commitment's obligation falling due) by the policy's ``notices:`` rules,
written to the outbox in the event's own transaction, and sent later by the dispatcher:

    queued ─claim─► sending ─accept─► sent ─deliver─► delivered
       ▲               │  └─reject──► failed ◄─bounce─┘
       └────retry──────┤  └─give_up─► dead
                       └──interrupt (an e-mail claimed by a worker that died) ─► dead
    queued ─batch─► batched ─post─► sent        (letters: printed and posted by an operator)
    queued ─reach─► delivered · queued ─miss─► failed   (phone-call tasks, by an operator)
    failed | dead ─resend─► queued ·  queued | batched | failed | dead ─cancel─► cancelled

Nothing here touches storage or the network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from utilcredit.identifiers.model import mask_phone
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.notices import NoticeChannel, NoticeKind, NoticeRules, NoticeTemplate
from utilcredit.workflow import Machine, Transition

__all__ = ["NoticeChannel", "NoticeKind"]


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"
    BATCHED = "batched"
    CANCELLED = "cancelled"


_N = NoticeStatus

NOTICE_STATUS_LABELS: dict[NoticeStatus, str] = {
    _N.QUEUED: "待发送",
    _N.SENDING: "发送中",
    _N.SENT: "已发送",
    _N.DELIVERED: "已送达",
    _N.FAILED: "失败",
    _N.DEAD: "待人工处理",
    _N.BATCHED: "已编入打印批次",
    _N.CANCELLED: "已取消",
}

NOTICE_MACHINE: Machine[NoticeStatus] = Machine(
    "通知",
    [
        Transition("claim", _N.QUEUED, _N.SENDING),
        Transition("accept", _N.SENDING, _N.SENT),
        Transition("retry", _N.SENDING, _N.QUEUED),
        Transition("reject", _N.SENDING, _N.FAILED),
        Transition("give_up", _N.SENDING, _N.DEAD),
        Transition("interrupt", _N.SENDING, _N.DEAD),
        Transition("deliver", _N.SENT, _N.DELIVERED),
        Transition("bounce", _N.SENT, _N.FAILED),
        Transition("batch", _N.QUEUED, _N.BATCHED),
        Transition("post", _N.BATCHED, _N.SENT),
        Transition("reach", _N.QUEUED, _N.DELIVERED),
        Transition("miss", _N.QUEUED, _N.FAILED),
        Transition("resend", _N.FAILED, _N.QUEUED),
        Transition("resend", _N.DEAD, _N.QUEUED),
        Transition("cancel", _N.QUEUED, _N.CANCELLED),
        Transition("cancel", _N.BATCHED, _N.CANCELLED),
        Transition("cancel", _N.FAILED, _N.CANCELLED),
        Transition("cancel", _N.DEAD, _N.CANCELLED),
    ],
    NOTICE_STATUS_LABELS,
    {
        "claim": "取出发送",
        "accept": "网关已受理",
        "retry": "稍后重试",
        "reject": "发送失败",
        "give_up": "重试用尽",
        "interrupt": "发送中断",
        "deliver": "已送达",
        "bounce": "退回",
        "batch": "编入打印批次",
        "post": "已寄出",
        "reach": "已电话告知",
        "miss": "电话未接通",
        "resend": "重发",
        "cancel": "取消",
    },
)

#: Actions an operator takes (audited one by one); the rest are the dispatcher's.
OPERATOR_ACTIONS = frozenset({"resend", "cancel", "reach", "miss", "post", "batch"})

#: Channels the dispatcher sends through an adapter; letters and calls are work for people.
SENT_BY_ADAPTER = frozenset({NoticeChannel.SMS, NoticeChannel.WECHAT, NoticeChannel.EMAIL})

#: Channels quiet hours hold back (a message or a call at night); e-mail and letters wait for
#: nobody.
QUIET_CHANNELS = frozenset({NoticeChannel.SMS, NoticeChannel.WECHAT, NoticeChannel.CALL})

#: The legally required letter: no opt-out and no daily cap stops it.
UNSTOPPABLE = frozenset({NoticeChannel.LETTER})

CHANNEL_LABELS: dict[NoticeChannel, str] = {
    NoticeChannel.SMS: "短信",
    NoticeChannel.WECHAT: "微信",
    NoticeChannel.EMAIL: "电子邮件",
    NoticeChannel.CALL: "电话",
    NoticeChannel.LETTER: "书面函件",
}

KIND_LABELS: dict[NoticeKind, str] = {
    NoticeKind.REMINDER: "信用等级提醒",
    NoticeKind.NOTICE_LETTER: "书面告知函",
    NoticeKind.LETTER_POINTER: "告知函短信",
    NoticeKind.RESTORED: "等级恢复通知",
    NoticeKind.DEMAND: "催告",
    NoticeKind.COMMITMENT_DUE: "承诺履行提醒",
}


# --------------------------------------------------------------------------------------------
# Who can be reached where
# --------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def address_problem(channel: NoticeChannel, address: str | None) -> str | None:
    """Why ``address`` cannot carry a notice on ``channel`` (None when it can)."""
    if channel is NoticeChannel.LETTER:
        return None if address and address.strip() else "没有邮寄地址 / no postal address"
    if not address:
        return f"没有{CHANNEL_LABELS[channel]}联系方式 / no {channel.value} address"
    if channel in (NoticeChannel.SMS, NoticeChannel.CALL):
        digits = re.sub(r"[\s-]", "", address)
        if channel is NoticeChannel.SMS and not _MOBILE.match(digits):
            return "手机号码无效 / not a mobile number"
        return None
    if channel is NoticeChannel.EMAIL and not _EMAIL.match(address):
        return "电子邮箱无效 / not an e-mail address"
    if channel is NoticeChannel.WECHAT and not _OPENID.match(address):
        return "微信 openid 无效 / not a WeChat openid"
    return None


@dataclass(frozen=True, slots=True)
class Contact:
    """Where a subject can be reached; ``opted_out`` channels are never used (but the letter)."""

    subject_id: int
    name: str
    mobile: str | None = None
    email: str | None = None
    wechat: str | None = None
    postal: str | None = None
    opted_out: frozenset[NoticeChannel] = frozenset()

    def address(self, channel: NoticeChannel) -> str | None:
        return {
            NoticeChannel.SMS: self.mobile,
            NoticeChannel.CALL: self.mobile,
            NoticeChannel.EMAIL: self.email,
            NoticeChannel.WECHAT: self.wechat,
            NoticeChannel.LETTER: self.postal,
        }[channel]

    def reachable(self, channel: NoticeChannel) -> bool:
        """Has an address there and did not opt out (the opt-out never stops a letter)."""
        if channel in self.opted_out and channel not in UNSTOPPABLE:
            return False
        return bool(self.address(channel))


def mask_recipient(channel: str, recipient: str | None) -> str | None:
    """A contact as a list shows it: ``138****5678``, ``z***@example.cn``, ``oAbC****``."""
    if not recipient:
        return recipient
    if channel in ("sms", "call"):
        return mask_phone(recipient)
    if channel == "email" and "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if channel == "wechat":
        return f"{recipient[:4]}****"
    return recipient


# --------------------------------------------------------------------------------------------
# Planning: which notices an event makes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A notice to write to the outbox. ``key`` makes it once: the same event planned twice
    (a run saved again, a planner run twice) finds its key taken and adds nothing."""

    key: str
    kind: NoticeKind
    channel: NoticeChannel
    subject_id: int
    recipient: str | None
    variables: Mapping[str, str] = field(default_factory=dict)
    account_id: int | None = None


def _first_reachable(contact: Contact, channels: Sequence[NoticeChannel]) -> NoticeChannel | None:
    return next((c for c in channels if c is not NoticeChannel.CALL and contact.reachable(c)), None)


def messages_for(
    key: str,
    kind: NoticeKind,
    channels: Sequence[NoticeChannel],
    contact: Contact,
    variables: Mapping[str, str],
    *,
    call_when_unreachable: bool,
    account_id: int | None = None,
) -> list[Draft]:
    """The one message of ``kind``: on the first channel that reaches the subject, else a
    phone-call task when a number is known and calls are allowed, else nothing."""
    channel = _first_reachable(contact, channels)
    calls = call_when_unreachable or NoticeChannel.CALL in channels
    if channel is None and calls and contact.reachable(NoticeChannel.CALL):
        channel = NoticeChannel.CALL
    if channel is None:
        return []
    return [
        Draft(
            f"{key}:{kind.value}",
            kind,
            channel,
            contact.subject_id,
            contact.address(channel),
            variables,
            account_id,
        )
    ]


def level_change_notices(
    rules: NoticeRules,
    key: str,
    change: tuple[str | None, str],
    contact: Contact,
    variables: Mapping[str, str],
) -> list[Draft]:
    """What a subject moving ``change`` = (from, to) is sent (``key`` names the change). A
    good level is told only when the subject comes back to it from a worse one."""
    from_level, to_level = change
    rule = next((r for r in rules.levels if r.level.value == to_level), None)
    if rule is None:
        return []
    if rules.message_kind(rule) is NoticeKind.RESTORED and (
        from_level is None or Level(from_level).badness <= rule.level.badness
    ):
        return []
    drafts: list[Draft] = []
    if rule.letter:
        drafts.append(
            Draft(
                f"{key}:{NoticeKind.NOTICE_LETTER.value}",
                NoticeKind.NOTICE_LETTER,
                NoticeChannel.LETTER,
                contact.subject_id,
                contact.postal,
                variables,
            )
        )
    drafts += messages_for(
        key,
        rules.message_kind(rule),
        rule.channels,
        contact,
        variables,
        # the letter already tells; a call is for a reminder nobody else carries
        call_when_unreachable=rule.call_when_unreachable and not rule.letter,
    )
    return drafts


@dataclass(frozen=True, slots=True)
class OverdueAccount:
    """An account's overdue bills on the planning day (for a payment demand)."""

    subject_id: int
    account_id: int
    account_no: str
    owed_fen: int
    bill_count: int
    oldest_due_on: dt.date
    last_demand_on: dt.date | None
    demand_pending: bool = False  # a demand is still on its way (queued, sending, batched)


def demand_due(rules: NoticeRules, account: OverdueAccount, today: dt.date) -> bool:
    """Does the account get a demand today: overdue long enough, owing enough, no demand on
    its way and none within the repeat interval."""
    rule = rules.demand
    if rule is None or account.demand_pending:
        return False
    if account.owed_fen < rule.min_amount_fen or account.owed_fen <= 0:
        return False
    if (today - account.oldest_due_on).days < rule.days_after_due:
        return False
    return not (
        account.last_demand_on is not None
        and (today - account.last_demand_on).days < rule.repeat_after_days
    )


def yuan(fen: int) -> str:
    """Fen as yuan for people: ``123456`` → ``1,234.56`` (integers only, never floats)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def fill(template: NoticeTemplate | str, variables: Mapping[str, Any]) -> str:
    """A template's text with its variables; a variable the event did not give prints as —
    (the policy check already refused unknown names)."""
    text = template if isinstance(template, str) else template.text
    return text.format_map(_Blank(variables))


class _Blank(dict[str, Any]):
    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)

    def __missing__(self, key: str) -> str:
        return "—"


# --------------------------------------------------------------------------------------------
# Sending: quiet hours, the daily cap, retries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours [start, end) when no SMS, WeChat message or call goes out (may span
    midnight, as the default 21:00–08:00 does); start == end means none."""

    start: dt.time
    end: dt.time

    def holds(self, local: dt.datetime) -> bool:
        t = local.timetz().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def next_allowed(self, local: dt.datetime) -> dt.datetime:
        """``local`` itself outside quiet hours, else the end of the quiet period."""
        if not self.holds(local):
            return local
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + dt.timedelta(days=1)


def backoff(attempt: int, *, base_seconds: int = 60, cap_seconds: int = 3600) -> dt.timedelta:
    """Wait after the ``attempt``-th failed try: 1, 2, 4 … minutes, at most an hour."""
    return dt.timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))


# --------------------------------------------------------------------------------------------
# What an adapter is given and answers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for an adapter. ``key`` is the notice's own: adapters pass it on as the
    idempotency key, so a gateway that sees it twice sends once."""

    key: str
    channel: NoticeChannel
    recipient: str
    body: str
    title: str | None = None


OutcomeStatus = Literal["sent", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message: ``sent`` (accepted), ``retry`` (the endpoint was down or
    answered 5xx: try again later) or ``failed`` (refused for good: a bad number, say)."""

    key: str
    status: OutcomeStatus
    detail: str | None = None
    provider_ref: str | None = None
