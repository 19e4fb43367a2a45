"""Typed policy model: one city's rating rules as data (SPEC 2.2, 3; DESIGN "Policies are data").

A policy file is YAML validated into these frozen Pydantic models. The rating engine, the
explanations, the public criteria page and the linter all read the same objects, so a rule is
written once. Only *general* clause types live here (counts over a window, arrears months, report
checks, and/or); every city-specific number, kind or window is data in the YAML file.

Vocabulary:

* A *requirement* clause (green ``G*``, blue ``B*``) either **holds** or **fails**.
* A *trigger* clause (yellow ``Y*``, red ``R*``, black ``K*``) either **fires** or stays **clear**.
* Either may be **unknown** when the data needed to decide it is missing.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, overload

from pydantic import BaseModel, ConfigDict, Field, model_validator

from utilcredit.customers.model import IncidentKind, Severity, Utility


class Level(StrEnum):
    """Credit levels, best to worst (SPEC 2.2)."""

    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"
    BLACK = "black"

    @property
    def badness(self) -> int:
        """0 for green … 4 for black; a larger number is a worse level."""
        return _LEVEL_ORDER.index(self)

    @property
    def label_zh(self) -> str:
        return _LEVEL_LABELS_ZH[self]

    @property
    def is_trigger(self) -> bool:
        """Yellow, red and black clauses fire; green and blue clauses are requirements."""
        return self in _TRIGGER_LEVELS  # a set lookup: asked once per subject in batch runs


_LEVEL_ORDER = (Level.GREEN, Level.BLUE, Level.YELLOW, Level.RED, Level.BLACK)
_TRIGGER_LEVELS = frozenset({Level.YELLOW, Level.RED, Level.BLACK})
_LEVEL_LABELS_ZH = {
    Level.GREEN: "绿色",
    Level.BLUE: "蓝色",
    Level.YELLOW: "黄色",
    Level.RED: "红色",
    Level.BLACK: "黑色",
}
# The seeds number clauses per level; K (not B, taken by blue) marks black (DESIGN).
_LEVEL_PREFIX = {
    Level.GREEN: "G",
    Level.BLUE: "B",
    Level.YELLOW: "Y",
    Level.RED: "R",
    Level.BLACK: "K",
}
_PREFIX_LEVEL = {prefix: level for level, prefix in _LEVEL_PREFIX.items()}

LEVELS_WORST_FIRST: tuple[Level, ...] = tuple(reversed(_LEVEL_ORDER))


def level_of_clause_id(clause_id: str) -> Level:
    return _PREFIX_LEVEL[clause_id[0]]


class _Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in a policy file into a linter error, not a silent no-op.
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------
# Windows and bounds
# --------------------------------------------------------------------------------------------


class Window(_Frozen):
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


class CountBounds(_Frozen):
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


class AmountBounds(_Frozen):
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


class AssetClassRange(_Frozen):
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


class IncidentCountTest(_Frozen):
    """Number of incidents of the given kinds in the window, optionally filtered, within bounds."""

    type: Literal["incident_count"]
    kinds: tuple[IncidentKind, ...] = Field(min_length=1)
    window: Window
    count: CountBounds
    amount: AmountBounds | None = None
    asset_class: AssetClassRange | None = None
    severity: Severity | None = None


class LatePaymentCountTest(_Frozen):
    """Late payments (bill-derived plus directly reported) in the window, within bounds."""

    type: Literal["late_payment_count"]
    window: Window
    count: CountBounds


class ArrearsMonthsTest(_Frozen):
    """Whole calendar months since the due date of the oldest bill still unpaid, within bounds."""

    type: Literal["arrears_months"]
    months: CountBounds


class NoArrearsTest(_Frozen):
    """No bill past its due date is unpaid at the as-of date (实时欠费: any overdue amount)."""

    type: Literal["no_arrears"]


class NoOverdueInWindowTest(_Frozen):
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


class AllAccountsPrepaidTest(_Frozen):
    """Every account of the subject with this utility pays in advance (预存)."""

    type: Literal["all_accounts_prepaid"]


class ReportNoDishonestyTest(_Frozen):
    """The latest public credit report from a trusted source shows no dishonesty."""

    type: Literal["report_no_dishonesty"]


class NotOnSeriousListTest(_Frozen):
    """The latest trusted report does not put the subject on the serious-dishonesty list."""

    type: Literal["not_on_serious_list"]


ReportGrade = Literal["A", "B", "C", "D"]


class ReportRatingTest(_Frozen):
    """The latest trusted report grades the subject within ``grades`` (e.g. 信用中国 A 级或 B 级).

    Unknown when there is no trusted report or the latest does not grade.
    """

    type: Literal["report_rating"]
    grades: tuple[ReportGrade, ...] = Field(min_length=1)


class CommitmentGivenTest(_Frozen):
    """The subject has given the utility a credit commitment that stands at D (主动提供信用承诺书).

    A commitment stands from the day it was made while it is valid, until it is breached,
    expired or withdrawn; a fulfilled one still stands. ``types`` limits the commitment types
    that count (empty: any).
    """

    type: Literal["commitment_given"]
    types: tuple[str, ...] = ()


class AnyOfTest(_Frozen):
    """True when any part is true (e.g. "2 violations OR 1 theft")."""

    type: Literal["any_of"]
    tests: tuple[ClauseTest, ...] = Field(min_length=2)


class AllOfTest(_Frozen):
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


@overload
def iter_tests(test: ClauseTest) -> list[ClauseTest]: ...
@overload
def iter_tests(test: EligibilityTest) -> list[EligibilityTest]: ...
def iter_tests(test: EligibilityTest) -> list[Any]:
    """The test and, for and/or combinations, all nested parts (depth first)."""
    found: list[Any] = [test]
    if isinstance(test, AnyOfTest | AllOfTest):
        for part in test.tests:
            found.extend(iter_tests(part))
    return found


# --------------------------------------------------------------------------------------------
# Dishonesty-record rules (失信记录认定; records/ derives candidates from them)
# --------------------------------------------------------------------------------------------


class DishonestyKind(StrEnum):
    """What a dishonesty record is about (SPEC 2.1 失信行为信息)."""

    ARREARS = "arrears"  # 欠费经催告后逾期仍未缴纳
    THEFT = "theft"
    VIOLATION = "violation"
    COMMITMENT_BREACH = "commitment_breach"
    GENERAL_DISHONESTY = "general_dishonesty"
    SERIOUS_DISHONESTY = "serious_dishonesty"
    FACILITY_DAMAGE = "facility_damage"


class DishonestyClass(StrEnum):
    """The national classes of dishonesty information (SPEC 3.6)."""

    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重


class ArrearsAfterDemandTest(_Frozen):
    """Overdue bills demanded (催告) on an account and still unpaid more than N months later.

    The demand covers the account's bills overdue and unpaid on the day it was sent; the rule
    holds at D when D is after the demand day plus ``months_after`` calendar months (超过: the
    day itself is not enough) and those bills' amount still unpaid at D is at least the
    deployment's "large amount" (数额较大, ``Settings.records.large_arrears_yuan``).
    """

    type: Literal["arrears_after_demand"]
    months_after: int = Field(ge=1, le=60)


class IncidentRecordTest(_Frozen):
    """One incident of the given kinds (optionally filtered by amount or severity)."""

    type: Literal["incident"]
    kinds: tuple[IncidentKind, ...] = Field(min_length=1)
    amount: AmountBounds | None = None
    severity: Severity | None = None


RecordTest = Annotated[ArrearsAfterDemandTest | IncidentRecordTest, Field(discriminator="type")]


class DishonestyRule(_Frozen):
    """One rule of the seed that makes a dishonesty record, with its class."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^D[1-9][0-9]*$")
    kind: DishonestyKind
    record_class: DishonestyClass = Field(alias="class")
    text: str = Field(min_length=1, description="the seed's own sentence")
    seed_ref: str | None = None
    interpretation: str | None = None
    test: RecordTest
    exemptions: tuple[str, ...] = Field(
        default=(), description="keys of the policy's exemptions a reviewer may dismiss under"
    )


class Exemption(_Frozen):
    """A case the seed says is not recorded; a reviewer dismisses a candidate under it."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1)
    seed_ref: str | None = None


class DishonestyRules(_Frozen):
    """Which behaviour becomes a dishonesty record under this policy (SPEC 3.4, 3.5)."""

    text: str = Field(min_length=1, description="the seed's sentence on dishonesty records")
    seed_ref: str | None = None
    interpretation: str | None = None
    lookback_years: int = Field(
        default=3, ge=1, le=10, description="causes older than this are not proposed"
    )
    rules: tuple[DishonestyRule, ...] = Field(min_length=1)
    exemptions: tuple[Exemption, ...] = ()

    @model_validator(mode="after")
    def _ids_and_exemptions_known(self) -> Self:
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("a dishonesty rule id is used twice")
        known = {exemption.key for exemption in self.exemptions}
        for rule in self.rules:
            unknown = set(rule.exemptions) - known
            if unknown:
                raise ValueError(f"rule {rule.id} names unknown exemptions {sorted(unknown)}")
        return self

    def rule(self, rule_id: str) -> DishonestyRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# --------------------------------------------------------------------------------------------
# Credit-based applications (信用办水 · 信易电): eligibility tests read the application too
# --------------------------------------------------------------------------------------------


class Business(StrEnum):
    """The business an application is for (SPEC 2.6)."""

    NEW_CONNECTION = "new_connection"  # 报装
    CAPACITY_CHANGE = "capacity_change"  # 增容、减容
    TRANSFER = "transfer"  # 更名过户
    OTHER_CHANGE = "other_change"  # 其他变更类业务

    @property
    def label_zh(self) -> str:
        return BUSINESS_ZH[self]


BUSINESS_ZH = {
    Business.NEW_CONNECTION: "新装（报装）",
    Business.CAPACITY_CHANGE: "增容/减容",
    Business.TRANSFER: "更名过户",
    Business.OTHER_CHANGE: "其他变更",
}


class AddressType(StrEnum):
    """What the supply address stands on (韶关 附件1 一)."""

    STATE_LAND_OWN_BUILDING = "state_land_own_building"  # 国有土地上的自有建筑物
    STATE_LAND_NO_BUILDING = "state_land_no_building"  # 自有的无建筑物国有土地
    COLLECTIVE_LAND = "collective_land"  # 集体土地
    RENTED = "rented"  # 租用的建筑物或场地
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        return ADDRESS_TYPE_ZH[self]


ADDRESS_TYPE_ZH = {
    AddressType.STATE_LAND_OWN_BUILDING: "国有土地上的自有建筑物",
    AddressType.STATE_LAND_NO_BUILDING: "自有的无建筑物国有土地",
    AddressType.COLLECTIVE_LAND: "集体土地",
    AddressType.RENTED: "租用的建筑物或场地",
    AddressType.OTHER: "其他",
}


class ApplicantCategoryTest(_Frozen):
    """The applicant is a legal person whose USCC begins with one of ``code_prefixes``
    (登记管理部门码 + 机构类别码; none listed: any legal person, 社会法人).

    ``91`` is an enterprise registered with market regulation (企业); ``92`` an individual
    business (个体工商户); a natural person never matches.
    """

    type: Literal["applicant_category"]
    code_prefixes: tuple[str, ...] = ()
    label: str = Field(min_length=1, description="e.g. 企业用户")


class AddressTypeTest(_Frozen):
    """The application's address is of one of the ``allowed`` types."""

    type: Literal["address_type"]
    allowed: tuple[AddressType, ...] = Field(min_length=1)


class PilotZoneTest(_Frozen):
    """The application's address lies in an active pilot zone of the policy (an editable table)."""

    type: Literal["pilot_zone"]


class ReportRecentTest(_Frozen):
    """A trusted report was downloaded at most ``days`` days before the application date.

    Issued on day I for an application on day D: holds when ``D − days ≤ I ≤ D``.
    """

    type: Literal["report_recent"]
    days: int = Field(ge=0, le=366)


class FoundingDateKnownTest(_Frozen):
    """The legal person's founding date is known ("企业成立以来" needs it)."""

    type: Literal["founding_date_known"]


EligibilityTest = Annotated[
    LeafTest
    | AnyOfTest
    | AllOfTest
    | ApplicantCategoryTest
    | AddressTypeTest
    | PilotZoneTest
    | ReportRecentTest
    | FoundingDateKnownTest,
    Field(discriminator="type"),
]


class EligibilityRequirement(_Frozen):
    """One condition of a credit-based application (all must hold)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    text: str = Field(min_length=1)
    seed_ref: str | None = None
    interpretation: str | None = None
    test: EligibilityTest


class CreditApplicationRules(_Frozen):
    """Who may apply with a credit report and a signed commitment instead of property papers.

    Windowed tests count from the later of the window's start and the subject's founding
    date (湛江 附件3 三、1: "企业注册已超3年的为连续3年，否则为企业成立以来").
    """

    title: str = Field(min_length=1, description="e.g. 信用办水, 信易电")
    seed_ref: str | None = None
    text: str = Field(min_length=1)
    interpretation: str | None = None
    businesses: tuple[Business, ...] = Field(min_length=1)
    report_sources: tuple[str, ...] = Field(
        default=(), description="reports an applicant may bring (none: the policy's)"
    )
    commitment_template: str | None = Field(
        default=None, description="the commitment the applicant signs (commitments/templates)"
    )
    requirements: tuple[EligibilityRequirement, ...] = Field(min_length=1)


# --------------------------------------------------------------------------------------------
# Measures: incentives and constraints per level or designation (守信激励 · 失信约束)
# --------------------------------------------------------------------------------------------


class MeasureKind(StrEnum):
    INCENTIVE = "incentive"  # 激励
    CONSTRAINT = "constraint"  # 约束


class Measure(_Frozen):
    """One measure of the seed, for the levels or designations it names."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    kind: MeasureKind
    seed_ref: str | None = None
    text: str | None = Field(default=None, description="the seed's sentence")
    responsible: str | None = Field(default=None, description="负责单位, when the seed names it")
    levels: tuple[Level, ...] = ()
    designations: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _applies_to_something(self) -> Self:
        if not self.levels and not self.designations:
            raise ValueError(f"measure {self.key} names no level and no designation")
        return self


# --------------------------------------------------------------------------------------------
# Notices: reminders, notice letters and payment demands (提醒 · 书面告知函 · 催告, SPEC 2.3)
# --------------------------------------------------------------------------------------------


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


class NoticeTemplate(_Frozen):
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


class LevelNotice(_Frozen):
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


class DemandRule(_Frozen):
    """When overdue bills get a payment demand (催告)."""

    seed_ref: str | None = None
    days_after_due: int = Field(ge=1, le=365, description="days a bill is overdue before")
    min_amount_fen: int = Field(ge=0, description="owed on the account, in fen, at least")
    channels: tuple[NoticeChannel, ...] = Field(min_length=1)
    repeat_after_days: int = Field(ge=1, le=365, description="no second demand sooner")
    pay_within_days: int = Field(ge=1, le=365, description="the demand's deadline")


class NoticeRules(_Frozen):
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


# --------------------------------------------------------------------------------------------
# Clauses, designations and the policy
# --------------------------------------------------------------------------------------------


class Clause(_Frozen):
    """One numbered criterion of the seed (e.g. ``R3``) with its published text and its test."""

    id: str = Field(pattern=r"^[GBYRK][1-9][0-9]*$")
    text: str = Field(min_length=1, description="Chinese text exactly as published in the seed")
    seed_ref: str | None = Field(default=None, description="where the text comes from")
    interpretation: str | None = Field(default=None, description="how the engine reads the text")
    test: ClauseTest

    @property
    def level(self) -> Level:
        return level_of_clause_id(self.id)


class Requirement(_Frozen):
    """One condition of a designation (all must hold)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    text: str = Field(min_length=1)
    interpretation: str | None = None
    test: ClauseTest


class Designation(_Frozen):
    """A named status beside the colour levels, e.g. 守信主体 (trustworthy subject, SPEC 2.6).

    Holds when all requirements hold. ``not_encoded`` lists conditions of the seed that need data
    the credit file does not carry (e.g. a signed commitment); they are shown, never guessed.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    seed_ref: str | None = None
    interpretation: str | None = None
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    not_encoded: tuple[str, ...] = ()


class Policy(_Frozen):
    """One version of one city's rating rules (SPEC 3)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]*$")
    effective_from: dt.date
    utility: Utility
    issuer: str | None = Field(default=None, description="issuing body and document number")
    seed: str | None = Field(default=None, description="seed document the rules come from")
    report_sources: tuple[str, ...] = Field(
        default=(), description="public credit report sources trusted by report clauses"
    )
    fallback_level: Level
    levels: tuple[Level, ...] = Field(min_length=1)
    notes: tuple[str, ...] = Field(default=(), description="policy-wide interpretations")
    clauses: tuple[Clause, ...] = Field(min_length=1)
    designations: tuple[Designation, ...] = ()
    dishonesty: DishonestyRules | None = None
    credit_application: CreditApplicationRules | None = None
    measures: tuple[Measure, ...] = ()
    notices: NoticeRules | None = None

    @model_validator(mode="after")
    def _measures_name_known_statuses(self) -> Self:
        keys = {d.key for d in self.designations}
        for measure in self.measures:
            for level in measure.levels:
                if level not in self.levels:
                    raise ValueError(f"measure {measure.key}: level {level} is not listed")
            for key in measure.designations:
                if key not in keys:
                    raise ValueError(f"measure {measure.key}: no designation {key}")
        if len({m.key for m in self.measures}) != len(self.measures):
            raise ValueError("a measure key is used twice")
        return self

    @model_validator(mode="after")
    def _levels_consistent(self) -> Self:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("levels are listed twice")
        if self.fallback_level not in self.levels:
            raise ValueError(f"fallback level {self.fallback_level} is not one of the levels")
        for clause in self.clauses:
            if clause.level not in self.levels:
                raise ValueError(f"clause {clause.id} belongs to level {clause.level}, not listed")
        return self

    @model_validator(mode="after")
    def _clause_ids_unique(self) -> Self:
        seen: set[str] = set()
        for clause in self.clauses:
            if clause.id in seen:
                raise ValueError(f"clause id {clause.id} is used twice")
            seen.add(clause.id)
        return self

    @model_validator(mode="after")
    def _report_sources_given(self) -> Self:
        tests: list[EligibilityTest] = [t for c in self.clauses for t in iter_tests(c.test)]
        tests += [t for d in self.designations for r in d.requirements for t in iter_tests(r.test)]
        if self.credit_application is not None:
            tests += [t for r in self.credit_application.requirements for t in iter_tests(r.test)]
        if (
            any(t.type in REPORT_TEST_TYPES | {"report_recent"} for t in tests)
            and not self.report_sources
        ):
            raise ValueError("report clauses need report_sources (which reports are trusted)")
        return self

    @property
    def levels_worst_first(self) -> tuple[Level, ...]:
        return tuple(level for level in LEVELS_WORST_FIRST if level in self.levels)

    def clauses_of(self, level: Level) -> tuple[Clause, ...]:
        return tuple(clause for clause in self.clauses if clause.level == level)

    def clause(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)
