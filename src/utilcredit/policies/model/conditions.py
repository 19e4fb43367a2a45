"""What a clause tests: windows, bounds and the general clause tests (SPEC 3).

A *requirement* clause (green, blue) holds or fails; a *trigger* clause (yellow, red, black)
fires or stays clear; either may be unknown when the data needed is missing. The tests here are
general: every city-specific number, kind or window is data in the policy file.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from utilcredit.customers.model import IncidentKind, Severity
from utilcredit.policies.model.base import Frozen

# --------------------------------------------------------------------------------------------
# Windows and bounds
# --------------------------------------------------------------------------------------------


class Window(Frozen):
    """Which past events count: the last ``years`` years, or everything since the account opened.

    "Within N years" at as-of date D is ``D − N years < date ≤ D`` (SPEC 3). In YAML write
    ``window: {years: 1}`` or ``window: since_opened``.
    """

    years: int | None = Field(default=None, ge=1, le=50)
    since_opened: bool = False

    @model_validator(mode="before")
    @classmethod
    def _accept_shorthand(cls, value: Any) -> Any:
        if value == "since_opened":
            return {"since_opened": True}
        return value

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Self:
        if (self.years is None) == (not self.since_opened):
            raise ValueError("a window is either {years: N} or since_opened, exactly one of them")
        return self

    def describe_zh(self) -> str:
        return "自立户起" if self.since_opened else f"{self.years}年内"


class CountBounds(Frozen):
    """Inclusive integer bounds ``min ≤ n ≤ max`` (``max`` absent = no upper bound).

    以上/以下/以内 include the number, so "3次及以上5次以下" is ``{min: 3, max: 5}``; 超过/不满
    exclude it, so "超过5次" is ``{min: 6}`` (SPEC 3, number words).
    """

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Self:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"bounds are empty: min {self.min} > max {self.max}")
        return self

    def contains(self, n: int) -> bool:
        return n >= self.min and (self.max is None or n <= self.max)

    def describe_zh(self, unit: str) -> str:
        if self.max is None:
            return f"{self.min}{unit}及以上"
        if self.min == self.max:
            return f"{self.min}{unit}"
        if self.min == 0:
            return f"{self.max}{unit}及以下"
        return f"{self.min}{unit}至{self.max}{unit}"


class AmountBounds(Frozen):
    """Bounds on an incident amount in CNY; each side inclusive (gte/lte) or exclusive (gt/lt)."""

    gte: Decimal | None = None
    gt: Decimal | None = None
    lte: Decimal | None = None
    lt: Decimal | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.gte is not None and self.gt is not None:
            raise ValueError("give either gte or gt, not both")
        if self.lte is not None and self.lt is not None:
            raise ValueError("give either lte or lt, not both")
        if self.lower is None and self.upper is None:
            raise ValueError("amount bounds need at least one of gte, gt, lte, lt")
        low, high = self.lower, self.upper
        if low is not None and high is not None:
            (low_value, low_inclusive), (high_value, high_inclusive) = low, high
            empty = low_value > high_value or (
                low_value == high_value and not (low_inclusive and high_inclusive)
            )
            if empty:
                raise ValueError(f"amount bounds are empty: {self.describe_zh()}")
        return self

    @property
    def lower(self) -> tuple[Decimal, bool] | None:
        """(value, inclusive) of the lower bound."""
        if self.gte is not None:
            return (self.gte, True)
        if self.gt is not None:
            return (self.gt, False)
        return None

    @property
    def upper(self) -> tuple[Decimal, bool] | None:
        if self.lte is not None:
            return (self.lte, True)
        if self.lt is not None:
            return (self.lt, False)
        return None

    def contains(self, amount: Decimal) -> bool:
        low, high = self.lower, self.upper
        if low is not None and not (amount >= low[0] if low[1] else amount > low[0]):
            return False
        return high is None or (amount <= high[0] if high[1] else amount < high[0])

    def describe_zh(self) -> str:
        parts: list[str] = []
        if self.lower is not None:
            parts.append(f"{self.lower[0]}元{'及以上' if self.lower[1] else '（不含）以上'}")
        if self.upper is not None:
            parts.append(f"{self.upper[0]}元{'及以下' if self.upper[1] else '（不含）以下'}")
        return "、".join(parts)


_ASSET_CLASS_PATTERN = re.compile(
    r"^\s*(?P<prefix>[A-Za-z]*)\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<suffix>[A-Za-z]*)\s*$"
)


def parse_asset_class(asset_class: str) -> tuple[str, Decimal] | None:
    """Split an asset class into (scale, size): ``DN160`` → (``dn``, 160), ``10kV`` → (``kv``, 10).

    The scale is the unit letters (before or after the number), case-folded, so one general rule
    reads pipe diameters and grid voltages alike. Returns None when the text has no such shape.
    """
    match = _ASSET_CLASS_PATTERN.match(asset_class)
    if match is None:
        return None
    prefix, suffix = match["prefix"], match["suffix"]
    if bool(prefix) == bool(suffix):
        return None
    return ((prefix or suffix).casefold(), Decimal(match["number"]))


class AssetClassRange(Frozen):
    """Asset classes on one scale within inclusive bounds, e.g. ``{scale: DN, min: 160}``.

    "直径160mm等级" is ``{scale: DN, min: 160, max: 160}``; "160mm及以上" is ``{scale: DN,
    min: 160}``; "10千伏/20千伏" is ``{scale: kV, min: 10, max: 20}``.
    """

    scale: str = Field(min_length=1, pattern=r"^[A-Za-z]+$")
    min: Decimal | None = None
    max: Decimal | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("asset class range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"asset class range is empty: min {self.min} > max {self.max}")
        return self

    @property
    def scale_key(self) -> str:
        return self.scale.casefold()

    def contains(self, asset_class: str) -> bool:
        parsed = parse_asset_class(asset_class)
        if parsed is None or parsed[0] != self.scale_key:
            return False
        size = parsed[1]
        return (self.min is None or size >= self.min) and (self.max is None or size <= self.max)

    def describe_zh(self) -> str:
        if self.min is not None and self.max is not None and self.min == self.max:
            return f"{self.scale}{self.min}等级"
        low = f"{self.scale}{self.min}及以上" if self.min is not None else ""
        high = f"{self.scale}{self.max}及以下" if self.max is not None else ""
        return "、".join(part for part in (low, high) if part)


# --------------------------------------------------------------------------------------------
# Clause tests (general types only; discriminated by ``type``)
# --------------------------------------------------------------------------------------------


class IncidentCountTest(Frozen):
    """Number of incidents of the given kinds in the window, optionally filtered, within bounds."""

    type: Literal["incident_count"]
    kinds: tuple[IncidentKind, ...] = Field(min_length=1)
    window: Window
    count: CountBounds
    amount: AmountBounds | None = None
    asset_class: AssetClassRange | None = None
    severity: Severity | None = None


class LatePaymentCountTest(Frozen):
    """Late payments (bill-derived plus directly reported) in the window, within bounds."""

    type: Literal["late_payment_count"]
    window: Window
    count: CountBounds


class ArrearsMonthsTest(Frozen):
    """Whole calendar months since the due date of the oldest bill still unpaid, within bounds."""

    type: Literal["arrears_months"]
    months: CountBounds


class NoArrearsTest(Frozen):
    """No bill past its due date is unpaid at the as-of date (实时欠费: any overdue amount)."""

    type: Literal["no_arrears"]


class NoOverdueInWindowTest(Frozen):
    """No bill was overdue and unpaid at any moment of the window (无欠费 over N years).

    With the window ``(W, D]`` at as-of date D, a bill counts when it fell due before D and was
    not settled (its payments covering its amount) by the later of its due date and W: a bill
    that fell due before the window and was still unpaid inside it counts, as does one paid
    late inside it; a bill due on D is not late yet. ``late_payment`` incidents reported
    directly and dated in the window count too, as in ``late_payment_count``. ``since_opened``
    makes it the same as "no late payment ever". True when nothing counts.
    """

    type: Literal["no_overdue_in_window"]
    window: Window


class AllAccountsPrepaidTest(Frozen):
    """Every account of the subject with this utility pays in advance (预存)."""

    type: Literal["all_accounts_prepaid"]


class ReportNoDishonestyTest(Frozen):
    """The latest public credit report from a trusted source shows no dishonesty."""

    type: Literal["report_no_dishonesty"]


class NotOnSeriousListTest(Frozen):
    """The latest trusted report does not put the subject on the serious-dishonesty list."""

    type: Literal["not_on_serious_list"]


ReportGrade = Literal["A", "B", "C", "D"]


class ReportRatingTest(Frozen):
    """The latest trusted report grades the subject within ``grades`` (e.g. 信用中国 A 级或 B 级).

    Unknown when there is no trusted report or the latest does not grade.
    """

    type: Literal["report_rating"]
    grades: tuple[ReportGrade, ...] = Field(min_length=1)


class CommitmentGivenTest(Frozen):
    """The subject has given the utility a credit commitment that stands at D (主动提供信用承诺书).

    A commitment stands from the day it was made while it is valid, until it is breached,
    expired or withdrawn; a fulfilled one still stands. ``types`` limits the commitment types
    that count (empty: any).
    """

    type: Literal["commitment_given"]
    types: tuple[str, ...] = ()


class AnyOfTest(Frozen):
    """True when any part is true (e.g. "2 violations OR 1 theft")."""

    type: Literal["any_of"]
    tests: tuple[ClauseTest, ...] = Field(min_length=2)


class AllOfTest(Frozen):
    """True when every part is true (e.g. "prepaid AND no arrears")."""

    type: Literal["all_of"]
    tests: tuple[ClauseTest, ...] = Field(min_length=2)


#: The tests that read the credit file alone (no and/or): what the SQL compiler's leaves are.
LeafTest = (
    IncidentCountTest
    | LatePaymentCountTest
    | ArrearsMonthsTest
    | NoArrearsTest
    | NoOverdueInWindowTest
    | AllAccountsPrepaidTest
    | ReportNoDishonestyTest
    | NotOnSeriousListTest
    | ReportRatingTest
    | CommitmentGivenTest
)
ClauseTest = Annotated[LeafTest | AnyOfTest | AllOfTest, Field(discriminator="type")]

AnyOfTest.model_rebuild()
AllOfTest.model_rebuild()

REPORT_TEST_TYPES = frozenset({"report_no_dishonesty", "not_on_serious_list", "report_rating"})
