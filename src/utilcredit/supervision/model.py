"""The credit office's monthly report (分级分类监管, SPEC 2.9; issue 13 item 6) as pure data.

One report covers one utility and one calendar month in Asia/Shanghai: the month runs from
00:00 on its first day to 00:00 on the next month's first day, Shanghai time, whatever the
server's zone. Counts are integers; a share is kept as its two integers (an exact fraction)
and rounded only when it is shown.

Nothing here touches storage.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from utilcredit.errors import FieldInvalidError
from utilcredit.exchange.model import BatchStatus
from utilcredit.localtime import SHANGHAI
from utilcredit.policies.model.levels import Level

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --------------------------------------------------------------------------------------------
# The month
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month, ``2026-11``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "month") -> Month:
        """``YYYY-MM``; anything else is refused naming ``field`` and why."""
        found = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if found is None:
            raise FieldInvalidError(
                field,
                f"月份格式应为 YYYY-MM（如 2026-11）：{text!r} / "
                f"{field} must be YYYY-MM (e.g. 2026-11), not {text!r}",
            )
        year, month = int(found.group(1)), int(found.group(2))
        if not 1 <= month <= 12 or not 2000 <= year <= 2999:
            raise FieldInvalidError(
                field,
                f"月份不存在：{text} / {field} {text} is not a month between 2000-01 and 2999-12",
            )
        return cls(year, month)

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> dt.date:
        return (
            dt.date(self.year + 1, 1, 1)
            if self.month == 12
            else dt.date(self.year, self.month + 1, 1)
        )

    @property
    def last_day(self) -> dt.date:
        return self.next_first_day - dt.timedelta(days=1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def start_at(self) -> dt.datetime:
        """00:00 Shanghai time on the first day, in UTC (stored times are UTC)."""
        return _midnight_utc(self.first_day)

    def end_at(self) -> dt.datetime:
        """00:00 Shanghai time on the next month's first day, in UTC (excluded)."""
        return _midnight_utc(self.next_first_day)

    def holds(self, day: dt.date | None) -> bool:
        return day is not None and self.first_day <= day < self.next_first_day


def _midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(dt.UTC)


# --------------------------------------------------------------------------------------------
# Shares
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    """``numerator`` of ``denominator`` (e.g. decided within the deadline of all decided), kept
    exact; ``display`` is the rounded percentage for people (``—`` when nothing was counted)."""

    numerator: int
    denominator: int
    display: str

    @classmethod
    def of(cls, numerator: int, denominator: int, places: int = 1) -> Share:
        if numerator < 0 or denominator < 0 or numerator > denominator:
            raise ValueError(f"not a share: {numerator}/{denominator}")
        return cls(numerator, denominator, percent(numerator, denominator, places))

    @property
    def fraction(self) -> Fraction | None:
        return None if self.denominator == 0 else Fraction(self.numerator, self.denominator)


def percent(numerator: int, denominator: int, places: int = 1) -> str:
    """``87.5%``: the exact fraction rounded half up to ``places`` decimals, only for showing."""
    if denominator == 0:
        return "—"
    exact = Fraction(numerator * 100, denominator)
    step = Decimal(1).scaleb(-places)
    value = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        step, rounding=ROUND_HALF_UP
    )
    return f"{value}%"


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------

LEVELS: tuple[Level, ...] = tuple(Level)


@dataclass(frozen=True, slots=True)
class RunRef:
    """The rating run a level section reads."""

    id: int
    policy_key: str
    policy_version: str
    as_of: dt.date


@dataclass(frozen=True, slots=True)
class LevelCount:
    level: Level
    count: int


@dataclass(frozen=True, slots=True)
class Transition:
    """Subjects at ``from_level`` in the previous month's run and ``to_level`` in this one;
    ``None`` on a side: rated on the other side only (joined or left). ``direction``: ``up``
    (better), ``down`` (worse), ``same``, ``joined`` or ``left``."""

    from_level: Level | None
    to_level: Level | None
    count: int
    direction: str

    @classmethod
    def of(cls, from_level: Level | None, to_level: Level | None, count: int) -> Transition:
        return cls(from_level, to_level, count, direction(from_level, to_level))


def direction(from_level: Level | None, to_level: Level | None) -> str:
    if from_level is None:
        return "joined"
    if to_level is None:
        return "left"
    if from_level == to_level:
        return "same"
    return "up" if to_level.badness < from_level.badness else "down"


@dataclass(frozen=True, slots=True)
class LevelSection:
    run: RunRef | None  # the month's last complete run of the utility
    previous_run: RunRef | None  # the previous month's last complete run of the same policy
    distribution: tuple[LevelCount, ...]  # every level, best first (zeros included)
    subjects: int
    transitions: tuple[Transition, ...]  # non-empty cells, best from-level first
    upgraded: int
    downgraded: int
    unchanged: int
    joined: int
    left: int


def level_section(
    run: RunRef | None,
    previous_run: RunRef | None,
    counts: dict[Level, int],
    cells: dict[tuple[Level | None, Level | None], int],
) -> LevelSection:
    """The section from a run's counts per level and the transition cells to it."""
    ordered = sorted(cells.items(), key=lambda item: (_rank(item[0][0]), _rank(item[0][1])))
    transitions = tuple(Transition.of(a, b, n) for (a, b), n in ordered if n)

    def total(direction: str) -> int:
        return sum(t.count for t in transitions if t.direction == direction)

    return LevelSection(
        run=run,
        previous_run=previous_run,
        distribution=tuple(LevelCount(level, counts.get(level, 0)) for level in LEVELS),
        subjects=sum(counts.values()),
        transitions=transitions,
        upgraded=total("up"),
        downgraded=total("down"),
        unchanged=total("same"),
        joined=total("joined"),
        left=total("left"),
    )


def _rank(level: Level | None) -> int:
    return -1 if level is None else level.badness


@dataclass(frozen=True, slots=True)
class RecordCount:
    kind: str  # DishonestyKind value
    record_class: str  # DishonestyClass value
    count: int


@dataclass(frozen=True, slots=True)
class RecordSection:
    """Dishonesty records determined (认定) in the month, by kind and class."""

    cells: tuple[RecordCount, ...]
    total: int


def record_section(cells: Iterable[tuple[str, str, int]]) -> RecordSection:
    found = tuple(
        RecordCount(kind, record_class, n) for kind, record_class, n in sorted(cells) if n
    )
    return RecordSection(found, sum(c.count for c in found))


@dataclass(frozen=True, slots=True)
class CaseSection:
    """Objections or repair applications: filed in the month, decided in the month, and the
    share of those decisions made on or before their due day (working days, computed when the
    case was filed or accepted)."""

    filed: int
    decided: int
    decided_on_time: int
    withdrawn: int
    on_time: Share


def case_section(filed: int, decided: int, decided_on_time: int, withdrawn: int) -> CaseSection:
    return CaseSection(
        filed, decided, decided_on_time, withdrawn, Share.of(decided_on_time, decided)
    )


@dataclass(frozen=True, slots=True)
class CommitmentSection:
    """Credit commitments made (承诺作出日期) in the month, and those whose status was
    determined fulfilled or breached in the month (承诺履行状态认定日期)."""

    made: int
    fulfilled: int
    breached: int


@dataclass(frozen=True, slots=True)
class ChannelCount:
    channel: str  # NoticeChannel value
    sent: int
    delivered: int
    failed: int


@dataclass(frozen=True, slots=True)
class NoticeSection:
    """Notices sent (handed to a gateway, or posted) in the month, delivered in the month, and
    notices that failed in the month (a failed or given-up attempt; counted once a notice)."""

    channels: tuple[ChannelCount, ...]
    sent: int
    delivered: int
    failed: int


def notice_section(channels: Iterable[ChannelCount]) -> NoticeSection:
    found = tuple(sorted((c for c in channels if c.sent or c.delivered or c.failed), key=_ch))
    return NoticeSection(
        found,
        sum(c.sent for c in found),
        sum(c.delivered for c in found),
        sum(c.failed for c in found),
    )


def _ch(count: ChannelCount) -> str:
    return count.channel


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One submission batch sent in the month. ``error_rows`` and ``error_rate`` are known once
    the platform answered (``answered``)."""

    id: int
    kind: str
    utilities: str
    status: str
    sent_at: dt.datetime
    rows: int
    answered: bool
    error_rows: int | None
    error_rate: Share | None


def batch_line(
    *,
    id: int,
    kind: str,
    utilities: str,
    status: str,
    sent_at: dt.datetime,
    rows: int,
    returned_rows: int | None,
    distinct_returned: int,
) -> BatchLine:
    """A batch and its errors: the platform's own count of returned rows when it gave one, else
    the distinct rows of its returned-error file, else — for a batch rejected whole without a
    file — every row; a batch not yet answered has no error rate."""
    answered = status in ANSWERED_STATUSES
    if not answered:
        return BatchLine(id, kind, utilities, status, sent_at, rows, False, None, None)
    if returned_rows is not None:
        errors = returned_rows
    elif distinct_returned:
        errors = distinct_returned
    else:
        errors = rows if status == BatchStatus.REJECTED else 0
    errors = min(errors, rows)
    return BatchLine(
        id, kind, utilities, status, sent_at, rows, True, errors, Share.of(errors, rows)
    )


ANSWERED_STATUSES = frozenset(
    {BatchStatus.ACCEPTED, BatchStatus.PARTLY_REJECTED, BatchStatus.REJECTED}
)


@dataclass(frozen=True, slots=True)
class ExchangeSection:
    """Submission batches sent in the month that cover the utility, and the month's error rate:
    rows returned with errors over rows sent, over the batches the platform has answered."""

    batches: tuple[BatchLine, ...]
    sent: int
    answered: int
    rows_answered: int
    error_rows: int
    error_rate: Share


def exchange_section(batches: Iterable[BatchLine]) -> ExchangeSection:
    found = tuple(sorted(batches, key=lambda b: (b.sent_at, b.id)))
    answered = [b for b in found if b.answered]
    rows = sum(b.rows for b in answered)
    errors = sum(b.error_rows or 0 for b in answered)
    return ExchangeSection(found, len(found), len(answered), rows, errors, Share.of(errors, rows))


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """Everything the credit office reads about one utility in one month."""

    month: str  # YYYY-MM
    utility: str  # Utility value
    first_day: dt.date
    last_day: dt.date
    levels: LevelSection
    records: RecordSection
    objections: CaseSection
    repairs: CaseSection
    commitments: CommitmentSection
    notices: NoticeSection
    exchange: ExchangeSection


# --------------------------------------------------------------------------------------------
# Labels (Chinese first; the XLSX and the command line print them)
# --------------------------------------------------------------------------------------------

UTILITY_LABELS = {"water": "供水", "power": "供电"}
LEVEL_LABELS = {level.value: level.label_zh for level in Level}
DIRECTION_LABELS = {
    "up": "上升",
    "down": "下降",
    "same": "不变",
    "joined": "新增",
    "left": "退出",
}
CHANNEL_LABELS = {
    "sms": "短信",
    "wechat": "微信",
    "email": "电子邮件",
    "call": "电话",
    "letter": "书面函件",
}
BATCH_STATUS_LABELS: dict[str, str] = {
    BatchStatus.CREATED: "已生成",
    BatchStatus.SENT: "已报送",
    BatchStatus.ACCEPTED: "已接收",
    BatchStatus.PARTLY_REJECTED: "部分退回",
    BatchStatus.REJECTED: "全部退回",
}


def level_label(level: Level | None) -> str:
    return "—" if level is None else LEVEL_LABELS[level.value]
