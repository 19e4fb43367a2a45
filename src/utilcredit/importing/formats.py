"""The canonical import formats (SPEC 5.2, 5.3) as data, with pure field parsers.

Each kind lists its fields in order, which are required, how a raw cell becomes a typed value,
the Chinese header aliases a billing system may export, the natural key and the parent it
refers to. Parsers raise :class:`FieldError` with a bilingual reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from utilcredit.customers.model import IncidentKind, PaymentMode, Severity, SubjectKind, Utility


class FieldError(ValueError):
    """A cell's value is unacceptable; the message says why (Chinese / English)."""


ACCEPTED_ENCODINGS_ZH = "UTF-8（可带BOM）或GB18030"
ACCEPTED_ENCODINGS_EN = "UTF-8 (with or without BOM) or GB18030"
UNREADABLE_TEXT = (
    f"含有无法解码的字节或无效字符（文件编码应为{ACCEPTED_ENCODINGS_ZH}） / holds bytes that "
    f"cannot be decoded or invalid characters (files must be {ACCEPTED_ENCODINGS_EN})"
)
NUL_TEXT = (
    "含有NUL字符（是否为二进制或UTF-16文件？） / holds NUL characters (a binary or UTF-16 file?)"
)
# What no stored text may hold: NUL (PostgreSQL refuses it) and lone surrogates (the bytes a
# text stream could not decode, kept as U+DC80..U+DCFF; or a JSON escape such as \ud800).
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None``."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    return NUL_TEXT if found.group() == "\x00" else UNREADABLE_TEXT


def printable(value: str) -> str:
    """``value`` with what no stored text may hold replaced by U+FFFD (for reports)."""
    return _BAD_TEXT.sub("\ufffd", value)


def brief(value: object, limit: int = 40) -> str:
    """A value as quoted in a reason: at most ``limit`` characters (the reject's ``value``
    column holds the cell itself)."""
    text_value = value if isinstance(value, str) else str(value)
    return text_value if len(text_value) <= limit else text_value[:limit] + "…"


# The plain canonical spelling a field takes in the generated CSV loop (see ``fused.py``):
# ("text", max_len), ("code", None), ("choice", frozenset of plain values), ("date", None),
# ("decimal", places), ("bool", None).
Form = tuple[str, object]


@dataclass(frozen=True, slots=True)
class Parser:
    """How a cell becomes a value.

    ``parse`` is the reference: any cell (text, or a spreadsheet's/JSON's native value) to a
    domain value, or :class:`FieldError` with the reason. ``form`` names the plain canonical
    spelling that the generated CSV loop converts inline, straight to the driver value the
    store writes (ISO date text, scaled integer); a property test holds the loop to ``parse``.
    """

    parse: Callable[[object], object]
    form: Form | None = None

    def __call__(self, raw: object) -> object:
        return self.parse(raw)


def text(max_len: int) -> Parser:
    """Trimmed text; blank counts as missing (``None``)."""

    def parse(raw: object) -> str | None:
        value = (raw if isinstance(raw, str) else str(raw)).strip()
        if not value:
            return None
        if len(value) > max_len:
            raise FieldError(f"长度超过{max_len} / longer than {max_len} characters")
        return value

    return Parser(parse, ("text", max_len))


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


_fromisoformat = dt.date.fromisoformat


def _parse_date(raw: object) -> dt.date:
    """ISO dates, and the 2026/01/15, 20260115 and 2026年1月15日 forms billing systems export."""
    if type(raw) is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:  # the common case first: plain ISO
            return _fromisoformat(raw)
        except ValueError:
            pass
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    value = str(raw).strip()
    shown = brief(value)
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise FieldError(f"日期无效：{shown} / invalid date {shown}") from None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise FieldError(
        f"日期无效：{shown}（应为YYYY-MM-DD） / invalid date {shown} (expected YYYY-MM-DD)"
    )


parse_date = Parser(_parse_date, ("date", None))


# Digits before the decimal point of an amount or a usage: 10^15 yuan is beyond any bill, and
# the stored integer (fen, thousandths) stays far inside a 64-bit column.
MAX_INTEGER_DIGITS = 15


def decimal(places: int) -> Parser:
    """A non-negative decimal with at most ``places`` places and ``MAX_INTEGER_DIGITS``
    digits before the point."""
    quantum = Decimal(1).scaleb(-places)

    def parse(raw: object) -> Decimal:
        if isinstance(raw, bool):
            raise FieldError(f"不是数值：{raw} / not a number: {raw}")
        value = (raw if isinstance(raw, str) else str(raw)).strip().replace(",", "")
        shown = brief(value)
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise FieldError(f"不是数值：{shown} / not a number: {shown}") from None
        exponent = number.as_tuple().exponent
        if not isinstance(exponent, int):  # 'n' / 'N' / 'F': NaN and infinities
            raise FieldError(f"不是有限数值：{shown} / not a finite number: {shown}")
        if number < 0:
            raise FieldError(f"不能为负数：{shown} / must not be negative: {shown}")
        if number and number.adjusted() >= MAX_INTEGER_DIGITS:  # before quantize can overflow
            raise FieldError(
                f"数值过大：{shown}（整数部分最多{MAX_INTEGER_DIGITS}位） / number too large: "
                f"{shown} (at most {MAX_INTEGER_DIGITS} digits before the decimal point)"
            )
        if exponent < -places and number != number.quantize(quantum):
            raise FieldError(
                f"小数位超过{places}位：{shown} / more than {places} decimal places: {shown}"
            )
        return number if exponent == -places else number.quantize(quantum)

    return Parser(parse, ("decimal", places))


_TRUE = frozenset({"true", "1", "yes", "y", "是", "有", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "否", "无", "f"})


def _parse_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    shown = brief(raw)
    raise FieldError(f"应为true/false（是/否）：{shown} / expected true or false: {shown}")


parse_bool = Parser(_parse_bool, ("bool", None))


def choice(values: Mapping[str, str]) -> Parser:
    """Accept the canonical values and their Chinese aliases; ``values`` maps alias → canonical."""
    canonical = sorted(set(values.values()))

    def parse(raw: object) -> str:
        value = str(raw).strip()
        found = values.get(value) or values.get(value.lower())
        if found is None:
            raise FieldError(
                f"取值无效：{brief(value)}（可选 {', '.join(canonical)}） / must be one of {', '.join(canonical)}"
            )
        return found

    return Parser(parse, ("choice", frozenset(canonical)))


def enum_aliases(
    enum: type[SubjectKind | Utility | PaymentMode | IncidentKind | Severity], **aliases: str
) -> dict[str, str]:
    mapping = {member.value: member.value for member in enum}
    mapping.update(aliases)
    return mapping


_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,30}$")


def _parse_phone(raw: object) -> str:
    value = str(raw).strip()
    if not _PHONE.match(value):
        shown = brief(value)
        raise FieldError(f"电话号码格式无效：{shown} / invalid phone number {shown}")
    return value


parse_phone = Parser(_parse_phone)


# Longest subject code reference: codes are 18 (USCC, resident ID) to 32 characters.
MAX_CODE_CHARS = 64


def _parse_code(raw: object) -> str:
    """A subject code reference, normalised; validated in full only on the subject itself."""
    value = str(raw).replace(" ", "").strip().upper()
    if len(value) > MAX_CODE_CHARS:
        raise FieldError(f"长度超过{MAX_CODE_CHARS} / longer than {MAX_CODE_CHARS} characters")
    return value


code = Parser(_parse_code, ("code", None))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The field naming the parent row's natural key, and the parent kind it must exist in."""

    field: str
    kind: str


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    parent: ParentRef | None = None
    # (earlier, later) date fields: a row where ``later`` precedes ``earlier`` is rejected.
    date_order: tuple[tuple[str, str], ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields if spec.required)

    def header_map(self) -> dict[str, str]:
        """Every accepted header (canonical or alias, case-insensitive) → canonical name."""
        mapping: dict[str, str] = {}
        for spec in self.fields:
            mapping[spec.name.lower()] = spec.name
            for alias in spec.aliases:
                mapping[alias.lower()] = spec.name
        return mapping


MONEY = decimal(2)
USAGE = decimal(3)

SUBJECT_KINDS = enum_aliases(
    SubjectKind, 法人="legal", 社会法人="legal", 单位="legal", 自然人="natural", 个人="natural"
)
UTILITIES = enum_aliases(
    Utility, 水="water", 供水="water", 电="power", 供电="power", electricity="power"
)
PAYMENT_MODES = enum_aliases(
    PaymentMode,
    预存="prepaid",
    预付费="prepaid",
    预付="prepaid",
    后付费="postpaid",
    后付="postpaid",
)
INCIDENT_KINDS = enum_aliases(
    IncidentKind,
    未按期交费="late_payment",
    违约用水="violation",
    违约用电="violation",
    窃水="theft",
    窃电="theft",
    未及时整改安全隐患="hazard_unrectified",
    计量装置故障拒不整改="meter_refusal",
    造成停水="outage_caused",
    造成停电="outage_caused",
    损坏供水设施="facility_damage",
    损坏供电设施="facility_damage",
    保护区违法作业="protection_zone_work",
    拒不执行有序用水方案="plan_refusal",
    拒不执行有序用电方案="plan_refusal",
    扰乱供水秩序="order_disruption",
    扰乱供电秩序="order_disruption",
    恶意投诉="malicious_complaint",
    一般失信行为="general_dishonesty",
    严重失信行为="serious_dishonesty",
    失约="commitment_breach",
)
SEVERITIES = enum_aliases(Severity, 轻微="minor", 一般="minor", 严重="serious")

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "subjects",
            (
                FieldSpec("code", code, True, ("统一社会信用代码", "证件号码", "主体代码", "代码")),
                FieldSpec("kind", choice(SUBJECT_KINDS), True, ("主体类型", "类型")),
                FieldSpec(
                    "name", text(200), True, ("名称", "单位名称", "户名", "姓名", "主体名称")
                ),
                FieldSpec("id_type", text(32), False, ("证件类型",)),
                FieldSpec("legal_rep", text(100), False, ("法定代表人", "法人代表")),
                FieldSpec("phone", parse_phone, False, ("联系电话", "电话", "手机")),
                FieldSpec("address", text(300), False, ("地址", "住所")),
                FieldSpec("area", text(100), False, ("区域", "所属区域", "片区")),
                # 成立日期: credit-based applications count "企业成立以来" from it (湛江 附件3).
                FieldSpec("founded_on", parse_date, False, ("成立日期", "注册日期", "成立时间")),
            ),
            key=("code",),
        ),
        KindSpec(
            "accounts",
            (
                FieldSpec("account_no", text(64), True, ("户号", "用户编号", "账户号")),
                FieldSpec("subject_code", code, True, ("统一社会信用代码", "主体代码", "证件号码")),
                FieldSpec("utility", choice(UTILITIES), True, ("业务类型", "行业")),
                FieldSpec("opened_on", parse_date, True, ("立户日期", "开户日期")),
                FieldSpec("payment_mode", choice(PAYMENT_MODES), True, ("缴费方式", "付费方式")),
                FieldSpec("address", text(300), False, ("用水地址", "用电地址", "地址")),
                FieldSpec("area", text(100), False, ("区域", "所属区域", "片区")),
            ),
            key=("account_no",),
            parent=ParentRef("subject_code", "subjects"),
        ),
        KindSpec(
            "bills",
            (
                FieldSpec("bill_no", text(64), True, ("账单号", "账单编号")),
                FieldSpec("account_no", text(64), True, ("户号", "用户编号")),
                FieldSpec(
                    "period_start", parse_date, True, ("计量起始日期", "计费起始日期", "起始日期")
                ),
                FieldSpec(
                    "period_end", parse_date, True, ("计量截止日期", "计费截止日期", "截止日期")
                ),
                FieldSpec("usage", USAGE, False, ("用量", "用水量", "用电量")),
                FieldSpec("unit", text(16), False, ("计量单位", "单位")),
                FieldSpec("amount", MONEY, True, ("金额", "应缴金额", "应收金额")),
                FieldSpec("due_on", parse_date, True, ("缴费期限", "到期日", "应缴日期")),
            ),
            key=("bill_no",),
            parent=ParentRef("account_no", "accounts"),
            date_order=(("period_start", "period_end"), ("period_start", "due_on")),
        ),
        KindSpec(
            "payments",
            (
                FieldSpec("payment_no", text(64), True, ("缴费流水号", "流水号")),
                FieldSpec("bill_no", text(64), True, ("账单号", "账单编号")),
                FieldSpec("paid_on", parse_date, True, ("缴费日期", "实缴日期")),
                FieldSpec("amount", MONEY, True, ("缴费金额", "实缴金额", "金额")),
            ),
            key=("payment_no",),
            parent=ParentRef("bill_no", "bills"),
        ),
        KindSpec(
            "incidents",
            (
                FieldSpec("incident_no", text(64), True, ("事件编号", "编号")),
                FieldSpec("account_no", text(64), True, ("户号", "用户编号")),
                FieldSpec("kind", choice(INCIDENT_KINDS), True, ("行为类型", "类型")),
                FieldSpec("occurred_on", parse_date, True, ("发生日期", "认定日期")),
                FieldSpec("amount", MONEY, False, ("金额", "涉及金额")),
                FieldSpec("asset_class", text(16), False, ("设施等级", "管网等级", "电压等级")),
                FieldSpec("severity", choice(SEVERITIES), False, ("严重程度", "情节")),
                FieldSpec("note", text(500), False, ("备注", "说明")),
            ),
            key=("incident_no",),
            parent=ParentRef("account_no", "accounts"),
        ),
        KindSpec(
            "reminders",
            (
                FieldSpec("reminder_no", text(64), True, ("催告编号", "编号")),
                FieldSpec("account_no", text(64), True, ("户号", "用户编号")),
                FieldSpec("sent_on", parse_date, True, ("催告日期", "发送日期")),
                FieldSpec("channel", text(16), False, ("方式", "渠道")),
            ),
            key=("reminder_no",),
            parent=ParentRef("account_no", "accounts"),
        ),
        KindSpec(
            "credit_reports",
            (
                FieldSpec("subject_code", code, True, ("统一社会信用代码", "主体代码")),
                FieldSpec("source", text(32), True, ("来源", "报告来源")),
                FieldSpec("issued_on", parse_date, True, ("出具日期", "报告日期")),
                FieldSpec("has_dishonesty", parse_bool, True, ("有无失信记录", "是否有失信信息")),
                FieldSpec(
                    "rating",
                    choice(
                        {
                            "A": "A",
                            "B": "B",
                            "C": "C",
                            "D": "D",
                            "a": "A",
                            "b": "B",
                            "c": "C",
                            "d": "D",
                        }
                    ),
                    False,
                    ("信用评级", "评级"),
                ),
                FieldSpec(
                    "on_serious_list", parse_bool, True, ("是否列入严重失信名单", "严重失信名单")
                ),
            ),
            key=("subject_code", "source", "issued_on"),
            parent=ParentRef("subject_code", "subjects"),
        ),
    )
}

# Parents before children, so a folder holding every kind imports in one go.
IMPORT_ORDER: tuple[str, ...] = (
    "subjects",
    "accounts",
    "bills",
    "payments",
    "incidents",
    "reminders",
    "credit_reports",
)
