"""The reporting catalogs as data: each kind of information the platform takes, with its
Chinese data items in the catalog's order and the check each item gets (SPEC 5.4).

``zhanjiang-2022`` is 附件4 of seed 004 (湛发改体改函〔2022〕469号), item for item. Where SPEC
5.4 and the seed differ, the seed wins: the natural persons' arrears (拖欠公用事业费用信息
（自然人）) end at 认定机构 — no USCC of that body and no determination date. The dishonesty
records and their repair or removal are not in 附件4; the ``records`` kind is this product's
own layout (marked so in its title), built from the national rules' terms (SPEC 3.6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from utilcredit.errors import FieldInvalidError


class Check(StrEnum):
    """What an item's value must look like."""

    TEXT = "text"
    USCC = "uscc"  # GB 32100 check character
    PERSON_ID = "person_id"  # per 证件类型: GB 11643 for 居民身份证
    SUBJECT_CODE = "subject_code"  # USCC or resident ID, by its form
    DATE = "date"  # YYYY-MM-DD
    AMOUNT = "amount"  # yuan, two decimals, not negative
    QUANTITY = "quantity"  # a non-negative decimal
    COUNT = "count"  # a non-negative integer
    YES_NO = "yes_no"  # 是 / 否
    ID_TYPE = "id_type"  # the platform's list of identity documents


#: The identity documents the platform takes for natural persons (证件类型).
ID_TYPES = (
    "居民身份证",
    "护照",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "港澳台居民居住证",
    "外国人永久居留身份证",
)


@dataclass(frozen=True, slots=True)
class Item:
    name: str  # the catalog's data item, the column header
    check: Check = Check.TEXT
    required: bool = True
    max_length: int = 500


@dataclass(frozen=True, slots=True)
class Kind:
    key: str  # the CLI's --kind
    category: str  # 信息分类
    title: str  # 信息类名称
    items: tuple[Item, ...]
    #: Pairs of date items that must be in order (first ≤ second).
    ordered: tuple[tuple[str, str], ...] = ()
    #: The date item that must not lie after the export's day.
    dated_by: str | None = None

    #: The items' names, the file's header row (derived from ``items``).
    headers: tuple[str, ...] = field(init=False)
    #: ``ordered`` and ``dated_by`` by column: (earlier, later, their names), the dated column.
    order_plan: tuple[tuple[tuple[int, int, str, str], ...], int | None] = field(
        init=False, repr=False
    )

    def __post_init__(self) -> None:
        headers = tuple(item.name for item in self.items)
        at = headers.index
        pairs = tuple((at(earlier), at(later), earlier, later) for earlier, later in self.ordered)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(
            self, "order_plan", (pairs, at(self.dated_by) if self.dated_by else None)
        )


@dataclass(frozen=True, slots=True)
class Catalog:
    key: str
    title: str
    source: str  # the document that publishes it
    kinds: tuple[Kind, ...]

    def kind(self, key: str) -> Kind:
        for kind in self.kinds:
            if kind.key == key:
                return kind
        known = "、".join(k.key for k in self.kinds)
        raise FieldInvalidError(
            "kind",
            f"目录 {self.key} 中没有信息类 {key}（可选：{known}） / no kind {key} in {self.key}",
        )


_PAYMENT_TAIL = (
    Item("缴费类型名称"),
    Item("是否预缴费", Check.YES_NO),
    Item("计量开始日", Check.DATE),
    Item("计量截止日", Check.DATE),
    Item("使用量", Check.QUANTITY, required=False),
    Item("使用单位", required=False, max_length=16),
    Item("缴费金额", Check.AMOUNT),
    Item("经办机关全称"),
    Item("经办机关统一社会信用代码", Check.USCC),
    Item("缴纳日期", Check.DATE),
)
_PAYMENT_ORDER = (("计量开始日", "计量截止日"),)

UTILITY_CATEGORY = "公共信用类-公用事业缴费信息"

ZHANJIANG_2022 = Catalog(
    key="zhanjiang-2022",
    title="湛江市公共信用信息资源目录-广东电网有限责任公司湛江供电局",
    source="湛发改体改函〔2022〕469号 附件4",
    kinds=(
        Kind(
            "payments",
            UTILITY_CATEGORY,
            "公用事业缴费信息",
            (Item("机构名称"), Item("统一社会信用代码", Check.USCC), *_PAYMENT_TAIL),
            _PAYMENT_ORDER,
            dated_by="缴纳日期",
        ),
        Kind(
            "arrears",
            UTILITY_CATEGORY,
            "拖欠公用事业费用信息",
            (
                Item("机构名称"),
                Item("统一社会信用代码", Check.USCC),
                Item("欠缴类型名称"),
                Item("欠缴统计开始日", Check.DATE),
                Item("欠缴统计截止日", Check.DATE),
                Item("欠费金额", Check.AMOUNT),
                Item("认定机构"),
                Item("认定机构统一社会信用代码", Check.USCC),
                Item("认定日期", Check.DATE),
            ),
            (("欠缴统计开始日", "欠缴统计截止日"), ("欠缴统计截止日", "认定日期")),
            dated_by="认定日期",
        ),
        Kind(
            "violations",
            UTILITY_CATEGORY,
            "违约用电信息",
            (
                Item("用户编号", max_length=64),
                Item("用户名称"),
                Item("违约用电日期", Check.DATE),
                Item("违约用电金额", Check.AMOUNT),
                Item("违约用电量", Check.QUANTITY, required=False),
                Item("违约用电天数", Check.COUNT, required=False),
                Item("违约用电总金额", Check.AMOUNT),
                Item("违约用电时间段", required=False),
            ),
            dated_by="违约用电日期",
        ),
        Kind(
            "payments-natural",
            UTILITY_CATEGORY,
            "公用事业缴费信息（自然人）",
            (
                Item("姓名"),
                Item("证件类型", Check.ID_TYPE),
                Item("证件号码", Check.PERSON_ID),
                *_PAYMENT_TAIL,
            ),
            _PAYMENT_ORDER,
            dated_by="缴纳日期",
        ),
        Kind(
            "arrears-natural",
            UTILITY_CATEGORY,
            "拖欠公用事业费用信息（自然人）",
            (
                Item("欠费人"),
                Item("证件类型", Check.ID_TYPE),
                Item("证件号码", Check.PERSON_ID),
                Item("欠缴类型名称"),
                Item("欠费开始日期", Check.DATE),
                Item("欠费统计截止日期", Check.DATE),
                Item("欠费金额", Check.AMOUNT),
                Item("认定机构"),
            ),
            (("欠费开始日期", "欠费统计截止日期"),),
            dated_by="欠费统计截止日期",
        ),
        Kind(
            "commitments",
            "信用承诺信息",
            "信用承诺信息",
            (
                Item("承诺编码", max_length=40),
                Item("承诺人名称"),
                Item("承诺人类别"),
                Item("承诺人代码（统一社会信用代码/身份证件）", Check.SUBJECT_CODE),
                Item("承诺类型"),
                Item("承诺事由"),
                Item("承诺内容", max_length=8000),
                Item("违诺责任", max_length=2000),
                Item("承诺作出日期", Check.DATE),
                Item("承诺有效期"),
                Item("承诺履行状态"),
                Item("未履行的承诺内容", required=False, max_length=2000),
                Item("违诺责任追究内容", required=False, max_length=2000),
                Item("承诺履行状态认定日期", Check.DATE),
                Item("承诺受理单位"),
                Item("承诺受理单位统一社会信用代码", Check.USCC),
                Item("承诺履行状态认定单位"),
                Item("承诺履行状态认定单位代码", Check.USCC),
                Item("公开类型"),
                Item("承诺书文件", required=False),
            ),
            (("承诺作出日期", "承诺履行状态认定日期"),),
            dated_by="承诺履行状态认定日期",
        ),
        Kind(
            "records",
            "失信信息",
            "供水供电领域失信信息（本系统扩展，附件4未列）",
            (
                Item("失信记录编号", max_length=40),
                Item("失信主体名称"),
                Item("主体类别"),
                Item("主体代码（统一社会信用代码/身份证件）", Check.SUBJECT_CODE),
                Item("失信行为类别"),
                Item("失信等级"),
                Item("认定依据"),
                Item("失信金额", Check.AMOUNT, required=False),
                Item("认定单位"),
                Item("认定单位统一社会信用代码", Check.USCC),
                Item("认定日期", Check.DATE),
                Item("公示开始日期", Check.DATE, required=False),
                Item("公示截止日期", Check.DATE, required=False),
                Item("记录状态"),
                Item("状态变更日期", Check.DATE),
            ),
            (("认定日期", "公示截止日期"), ("公示开始日期", "公示截止日期")),
            dated_by="状态变更日期",
        ),
    ),
)

CATALOGS: dict[str, Catalog] = {ZHANJIANG_2022.key: ZHANJIANG_2022}


def catalog(key: str) -> Catalog:
    found = CATALOGS.get(key)
    if found is None:
        raise FieldInvalidError(
            "catalog",
            f"没有目录 {key}（可选：{'、'.join(CATALOGS)}） / no catalog {key}",
        )
    return found
