"""Notices: reminders, notice letters and payment demands (提醒 · 书面告知函 · 催告, SPEC 2.3).

The policy's ``notices:``: who the utility tells what, on which channel, in which words. A
template's variables are checked when the policy is loaded, never at sending time.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from utilcredit.policies.model.base import Frozen
from utilcredit.policies.model.levels import Level


class NoticeChannel(StrEnum):
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"
    CALL = "call"  # a phone-call task for an operator
    LETTER = "letter"  # a printed letter, posted


class NoticeKind(StrEnum):
    REMINDER = "reminder"  # 提醒: a level that asks for a reminder (yellow)
    NOTICE_LETTER = "notice_letter"  # 书面告知函 (red, black)
    LETTER_POINTER = "letter_pointer"  # the short message that announces the letter
    RESTORED = "restored"  # back to a good level
    DEMAND = "demand"  # 催告: overdue bills
    COMMITMENT_DUE = "commitment_due"  # a commitment's obligation falls due soon


#: Variables every template may use.
COMMON_NOTICE_VARIABLES = frozenset(
    {"subject_name", "sender", "hotline", "office", "utility_zh", "usage_zh", "notice_no", "today"}
)
_LEVEL_VARIABLES = frozenset({"level_zh", "previous_level_zh", "as_of", "reply_by", "policy_title"})
#: Variables of each kind's templates (and of the letter's paragraphs): anything else is an
#: error of the policy file, found by ``utilcredit policy check``, never at sending time.
NOTICE_VARIABLES: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.REMINDER: COMMON_NOTICE_VARIABLES | _LEVEL_VARIABLES,
    # the letter is written when it is printed: only it can afford the next-change date
    NoticeKind.NOTICE_LETTER: COMMON_NOTICE_VARIABLES | _LEVEL_VARIABLES | {"next_change_on"},
    NoticeKind.LETTER_POINTER: COMMON_NOTICE_VARIABLES | _LEVEL_VARIABLES,
    NoticeKind.RESTORED: COMMON_NOTICE_VARIABLES | _LEVEL_VARIABLES,
    NoticeKind.DEMAND: COMMON_NOTICE_VARIABLES
    | {"account_no", "amount_yuan", "bill_count", "oldest_due_on", "days_overdue", "pay_by"},
    NoticeKind.COMMITMENT_DUE: COMMON_NOTICE_VARIABLES
    | {"commitment_code", "commitment_title", "obligation", "due_on"},
}


def template_variables(text: str) -> list[str]:
    """The ``{name}`` variables of a template, in order; raises ValueError on anything but plain
    names (no positions, attributes, conversions or format specs: a template is not code)."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ValueError(f"template braces do not match: {error}") from error
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"template variable {{{name}}} must be a plain name")
        names.append(name)
    return names


def check_template(text: str, kind: NoticeKind) -> None:
    unknown = [n for n in template_variables(text) if n not in NOTICE_VARIABLES[kind]]
    if unknown:
        raise ValueError(
            f"unknown template variable {{{unknown[0]}}} in a {kind.value} template "
            f"(known: {', '.join(sorted(NOTICE_VARIABLES[kind]))})"
        )


class NoticeTemplate(Frozen):
    """The text of one kind of notice on one channel, in Chinese, with ``{variables}``."""

    kind: NoticeKind
    channel: NoticeChannel
    title: str | None = Field(default=None, description="e-mail subject, WeChat title")
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _variables_known(self) -> Self:
        check_template(self.text, self.kind)
        if self.title is not None:
            check_template(self.title, self.kind)
        return self


class LevelNotice(Frozen):
    """What a level change into ``level`` sends.

    ``channels`` are tried in order: the first the subject can be reached on and has not
    opted out of carries the message; when none can, a phone-call task is made for an operator
    (``call_when_unreachable``). ``letter`` adds the written notice letter, which no opt-out
    stops, and ``channels`` then carry the short message that announces it.
    """

    level: Level
    channels: tuple[NoticeChannel, ...] = ()
    letter: bool = False
    call_when_unreachable: bool = True
    seed_ref: str | None = None

    @model_validator(mode="after")
    def _messages_only(self) -> Self:
        if NoticeChannel.LETTER in self.channels:
            raise ValueError("the letter is asked for with `letter: true`, not as a channel")
        return self


class DemandRule(Frozen):
    """When overdue bills get a payment demand (催告)."""

    seed_ref: str | None = None
    days_after_due: int = Field(ge=1, le=365, description="days a bill is overdue before")
    min_amount_fen: int = Field(ge=0, description="owed on the account, in fen, at least")
    channels: tuple[NoticeChannel, ...] = Field(min_length=1)
    repeat_after_days: int = Field(ge=1, le=365, description="no second demand sooner")
    pay_within_days: int = Field(ge=1, le=365, description="the demand's deadline")


class NoticeRules(Frozen):
    """Who the utility tells what, on which channel, in which words (the policy's ``notices:``)."""

    sender: str = Field(
        min_length=1, description="the utility that signs, e.g. 涟水县涟缘水务有限公司"
    )
    hotline: str = Field(min_length=1)
    office: str = Field(min_length=1, description="where to object and apply for repair")
    seed_ref: str | None = None
    reply_working_days: int = Field(
        ge=1, le=60, description="working days from the letter to rectify, object or apply"
    )
    levels: tuple[LevelNotice, ...] = ()
    demand: DemandRule | None = None
    commitment_channels: tuple[NoticeChannel, ...] = ()
    letter_paragraphs: tuple[str, ...] = Field(
        default=(), description="the notice letter's paragraphs after the fired clauses"
    )
    templates: tuple[NoticeTemplate, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for paragraph in self.letter_paragraphs:
            check_template(paragraph, NoticeKind.NOTICE_LETTER)
        if len({r.level for r in self.levels}) != len(self.levels):
            raise ValueError("a level has two notice rules")
        have = {(t.kind, t.channel) for t in self.templates}
        if len(have) != len(self.templates):
            raise ValueError("two templates for one kind and channel")
        for kind, channel in self.needed_templates():
            if (kind, channel) not in have:
                raise ValueError(f"no {kind.value} template for the {channel.value} channel")
        return self

    def needed_templates(self) -> Iterator[tuple[NoticeKind, NoticeChannel]]:
        for rule in self.levels:
            kind = self.message_kind(rule)
            for channel in rule.channels:
                yield kind, channel
        if self.demand is not None:
            for channel in self.demand.channels:
                if channel is not NoticeChannel.CALL:
                    yield NoticeKind.DEMAND, channel
        for channel in self.commitment_channels:
            if channel is not NoticeChannel.CALL:
                yield NoticeKind.COMMITMENT_DUE, channel

    @staticmethod
    def message_kind(rule: LevelNotice) -> NoticeKind:
        if rule.letter:
            return NoticeKind.LETTER_POINTER
        if rule.level in (Level.GREEN, Level.BLUE):
            return NoticeKind.RESTORED
        return NoticeKind.REMINDER

    def rule_for(self, level: Level) -> LevelNotice | None:
        return next((r for r in self.levels if r.level == level), None)

    def template(self, kind: NoticeKind, channel: NoticeChannel) -> NoticeTemplate | None:
        return next((t for t in self.templates if (t.kind, t.channel) == (kind, channel)), None)
