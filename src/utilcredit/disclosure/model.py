"""What the public may see, as pure rules (SPEC 2.4, 3.6; issue 13 item 5).

Publishing turns a dishonesty record or a commitment into a :class:`PublishedEntry`: the
subject as the public sees it (a legal person's name and USCC in full; a natural person's
surname and masked ID number, never a phone number, an address or a legal representative),
and a few labelled details that are public by nature (the rule applied, the determining unit,
the dates). Nothing else of the source is copied, so the public site cannot show what was
never published.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from utilcredit.commitments.model import COMMITMENT_STATUS_LABELS, COMMITMENT_TYPE_ZH
from utilcredit.customers.model import CommitmentStatus
from utilcredit.errors import FieldInvalidError
from utilcredit.identifiers.model import MaskingRule, mask_id_number, mask_name
from utilcredit.records.model import CLASS_LABELS, KIND_LABELS, RecordStatus


class EntryKind(StrEnum):
    RECORD = "record"
    COMMITMENT = "commitment"


#: The record statuses the public sees. Decision: a record under objection is withheld until
#: the objection is decided (upheld, the calendar publishes it again), so a disputed record
#: is never on the public site; confirmed records wait for the calendar's ``publish`` step.
PUBLISHED_RECORD_STATUSES = frozenset({RecordStatus.PUBLISHED})

#: The commitment statuses the public sees: accepted into force and what became of it.
#: A commitment only made (not accepted) or withdrawn was never a public commitment.
PUBLISHED_COMMITMENT_STATUSES = frozenset(
    {
        CommitmentStatus.IN_FORCE,
        CommitmentStatus.FULFILLED,
        CommitmentStatus.BREACHED,
        CommitmentStatus.EXPIRED,
    }
)

# The details of an entry, in display order, with their labels (Chinese, English).
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    "behaviour": ("失信行为", "Behaviour"),
    "class": ("失信程度", "Class"),
    "basis": ("认定依据", "Basis"),
    "determining_unit": ("认定单位", "Determined by"),
    "determined_on": ("认定日期", "Determined on"),
    "period": ("公示期限", "Published"),
    "commitment_code": ("承诺编码", "Commitment code"),
    "commitment_type": ("承诺类型", "Commitment type"),
    "reason": ("承诺事由", "Reason"),
    "made_on": ("承诺作出日期", "Made on"),
    "valid_until": ("承诺有效期", "Valid until"),
    "status": ("履行状态", "Status"),
    "status_on": ("状态认定日期", "Status on"),
    "accepting_unit": ("承诺受理单位", "Accepted by"),
}


@dataclass(frozen=True, slots=True)
class Subject:
    """The source's subject (internal: never published as such)."""

    kind: str  # legal | natural
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ShownSubject:
    subject_shown: str
    code_shown: str
    lookup_code: str | None
    lookup_name: str | None


def shown_subject(subject: Subject, rule: MaskingRule) -> ShownSubject:
    """A legal person in full and findable; a natural person masked and never findable."""
    if subject.kind == "natural":
        return ShownSubject(
            subject_shown=mask_name(subject.name, rule.mask_char),
            code_shown=mask_id_number(subject.code, rule),
            lookup_code=None,
            lookup_name=None,
        )
    return ShownSubject(subject.name, subject.code, subject.code, subject.name)


@dataclass(frozen=True, slots=True)
class RecordSource:
    """What publishing reads of a dishonesty record (no amount, summary or evidence)."""

    id: int
    utility: str
    subject: Subject
    kind: str
    record_class: str
    status: str
    policy_key: str
    rule_id: str
    rule_text: str
    determining_unit: str | None
    determining_unit_code: str | None
    determined_on: dt.date | None
    publish_from: dt.date | None
    publish_until: dt.date | None
    publication_stopped_on: dt.date | None


@dataclass(frozen=True, slots=True)
class CommitmentSource:
    """What publishing reads of a commitment (not its letter, fields or document)."""

    code: str
    utility: str
    subject: Subject
    commitment_type: str
    reason: str
    made_on: dt.date
    valid_until: dt.date | None
    status: str
    status_on: dt.date
    accepting_unit: str
    accepting_unit_code: str
    disclosure: str


@dataclass(frozen=True, slots=True)
class PublishedEntry:
    """One row of the published view (``public_entries``), already masked."""

    kind: EntryKind
    source_key: str
    utility: str
    shown: ShownSubject
    title: str
    details: dict[str, str]
    shown_from: dt.date
    shown_until: dt.date | None


def in_period(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """``start ≤ day ≤ end`` (``end`` None: open); no start means never."""
    return start is not None and start <= day and (end is None or day <= end)


def record_period(source: RecordSource) -> tuple[dt.date, dt.date] | None:
    """The days a record is public: its publication period, cut short the day publication was
    stopped (repair, removal, correction); None when it is never public."""
    if source.publish_from is None or source.publish_until is None:
        return None  # a minor record, or not yet determined
    until = source.publish_until
    if source.publication_stopped_on is not None:
        until = min(until, source.publication_stopped_on - dt.timedelta(days=1))
    return (source.publish_from, until) if source.publish_from <= until else None


def record_entry(source: RecordSource, day: dt.date, rule: MaskingRule) -> PublishedEntry | None:
    """The record's public entry on ``day``, or None if it is not public that day."""
    period = record_period(source)
    if source.status not in PUBLISHED_RECORD_STATUSES or period is None:
        return None
    if not in_period(period[0], period[1], day):
        return None
    behaviour = _label(KIND_LABELS, source.kind)
    unit = source.determining_unit or ""
    if unit and source.determining_unit_code:
        unit = f"{unit}（{source.determining_unit_code}）"
    details = {
        "behaviour": behaviour,
        "class": _label(CLASS_LABELS, source.record_class),
        "basis": f"{source.policy_key} {source.rule_id}：{source.rule_text}",
        "determining_unit": unit,
        "determined_on": source.determined_on.isoformat() if source.determined_on else "",
        "period": f"{period[0].isoformat()} 至 {period[1].isoformat()}",
    }
    return PublishedEntry(
        kind=EntryKind.RECORD,
        source_key=f"record:{source.id}",
        utility=source.utility,
        shown=shown_subject(source.subject, rule),
        title=behaviour,
        details=details,
        shown_from=period[0],
        shown_until=period[1],
    )


def commitment_entry(
    source: CommitmentSource, day: dt.date, rule: MaskingRule
) -> PublishedEntry | None:
    """The commitment's public entry on ``day``: marked for disclosure (社会公开), accepted, and
    from the day it was made to the end of its validity (a lasting one stays)."""
    if source.disclosure != "public" or source.status not in PUBLISHED_COMMITMENT_STATUSES:
        return None
    if not in_period(source.made_on, source.valid_until, day):
        return None
    type_label = _label(COMMITMENT_TYPE_ZH, source.commitment_type)
    details = {
        "commitment_code": source.code,
        "commitment_type": type_label,
        "made_on": source.made_on.isoformat(),
        "valid_until": source.valid_until.isoformat() if source.valid_until else "长期",
        "status": _label(COMMITMENT_STATUS_LABELS, source.status),
        "status_on": source.status_on.isoformat(),
        "accepting_unit": f"{source.accepting_unit}（{source.accepting_unit_code}）",
    }
    if source.subject.kind != "natural":
        # Free text typed at the counter: for a person it may name them, so only a legal
        # person's reason is shown.
        details["reason"] = source.reason
    return PublishedEntry(
        kind=EntryKind.COMMITMENT,
        source_key=f"commitment:{source.code}",
        utility=source.utility,
        shown=shown_subject(source.subject, rule),
        title=f"信用承诺（{type_label}）",
        details={key: details[key] for key in DETAIL_LABELS if key in details},
        shown_from=source.made_on,
        shown_until=source.valid_until,
    )


def _label(labels: Mapping[Any, str], value: str) -> str:
    """A code's Chinese label (the tables are keyed by StrEnum members, equal to their text);
    an unknown code is shown as it is."""
    return labels.get(value, value)


# ---- look-up ---------------------------------------------------------------------------------

LOOKUP_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class Lookup:
    """A look-up by USCC (18 characters, upper-cased) or by exact name."""

    code: str | None
    name: str | None


def parse_lookup(text: str) -> Lookup:
    value = text.strip()
    if not value:
        raise FieldInvalidError("q", "请输入统一社会信用代码或名称 / enter a USCC or a name")
    if len(value) > LOOKUP_MAX_CHARS or any(ord(ch) < 32 for ch in value):
        raise FieldInvalidError(
            "q",
            f"查询内容过长或含控制字符（上限 {LOOKUP_MAX_CHARS} 字） / the query is longer "
            f"than {LOOKUP_MAX_CHARS} characters or holds control characters",
        )
    upper = value.upper()
    if len(upper) == 18 and upper.isascii() and upper.isalnum():
        return Lookup(code=upper, name=None)
    return Lookup(code=None, name=value)


# ---- rate limit ------------------------------------------------------------------------------


@dataclass(slots=True)
class TokenBucket:
    """``capacity`` requests at once, refilled at ``rate`` per second (time injected)."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token: 0 when granted, else the seconds until one is due."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """One bucket per client address; idle full buckets are forgotten so memory stays small."""

    def __init__(self, per_minute: int, burst: int, *, max_clients: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst)
        self.max_clients = max_clients
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, client: str, now: float) -> int:
        """0 when the request may go on, else the whole seconds to wait (Retry-After)."""
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._forget_full(now)
            bucket = TokenBucket(self.rate, self.capacity, self.capacity, now)
            self._buckets[client] = bucket
        wait = bucket.take(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))

    def _forget_full(self, now: float) -> None:
        refill = self.capacity / self.rate if self.rate else math.inf
        stale = [key for key, b in self._buckets.items() if now - b.updated >= refill]
        for key in stale or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]
