"""The catalog as the seed publishes it, the platform's checks on a row, and written values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from utilcredit.errors import FieldInvalidError
from utilcredit.exchange.catalog import ZHANJIANG_2022, catalog
from utilcredit.exchange.model import (
    BATCH_MACHINE,
    BatchStatus,
    check_row,
    check_rows,
    id_type_name,
    quantity,
    yuan,
)
from utilcredit.workflow import TransitionRefusedError

# 附件4 of seed 004 (湛发改体改函〔2022〕469号), its 信息类名称 and 数据项名称 columns as printed
# (/work/shared/seeds, not part of the repository).
SEED_004_ANNEX_4 = {
    "公用事业缴费信息": "机构名称、统一社会信用代码、缴费类型名称、是否预缴费、计量开始日、计量截止日、使用量、使用单位、缴费金额、经办机关全称、经办机关统一社会信用代码、缴纳日期",
    "拖欠公用事业费用信息": "机构名称、统一社会信用代码、欠缴类型名称、欠缴统计开始日、欠缴统计截止日、欠费金额、认定机构、认定机构统一社会信用代码、认定日期",
    "违约用电信息": "用户编号、用户名称、违约用电日期、违约用电金额、违约用电量、违约用电天数、违约用电总金额、违约用电时间段",
    "公用事业缴费信息（自然人）": "姓名、证件类型、证件号码、缴费类型名称、是否预缴费、计量开始日、计量截止日、使用量、使用单位、缴费金额、经办机关全称、经办机关统一社会信用代码、缴纳日期",
    "拖欠公用事业费用信息（自然人）": "欠费人、证件类型、证件号码、欠缴类型名称、欠费开始日期、欠费统计截止日期、欠费金额、认定机构",
    "信用承诺信息": "承诺编码、承诺人名称、承诺人类别、承诺人代码（统一社会信用代码/身份证件）、承诺类型、承诺事由、承诺内容、违诺责任、承诺作出日期、承诺有效期、承诺履行状态、未履行的承诺内容、违诺责任追究内容、承诺履行状态认定日期、承诺受理单位、承诺受理单位统一社会信用代码、承诺履行状态认定单位、承诺履行状态认定单位代码、公开类型、承诺书文件",
}
USCC = "91440800190350011Q"
RIC = "11010519491231002X"
TODAY = dt.date(2026, 11, 30)


def test_every_annex_kind_has_the_seeds_items_in_the_seeds_order() -> None:
    by_title = {kind.title: kind.headers for kind in ZHANJIANG_2022.kinds}
    for title, items in SEED_004_ANNEX_4.items():
        assert by_title[title] == tuple(items.split("、")), title
    extension = [k for k in ZHANJIANG_2022.kinds if k.title not in SEED_004_ANNEX_4]
    assert [k.key for k in extension] == ["records"]
    assert "扩展" in extension[0].title  # never passed off as the catalog's own


def test_unknown_catalog_or_kind_names_the_field_and_the_choices() -> None:
    with pytest.raises(FieldInvalidError) as error:
        catalog("guangzhou-2030")
    assert error.value.field == "catalog" and "zhanjiang-2022" in str(error.value)
    with pytest.raises(FieldInvalidError) as error:
        ZHANJIANG_2022.kind("water-quality")
    assert error.value.field == "kind" and "payments-natural" in str(error.value)


def payment(**changes: str) -> list[str]:
    values = {
        "机构名称": "示范实业有限公司",
        "统一社会信用代码": USCC,
        "缴费类型名称": "电费",
        "是否预缴费": "否",
        "计量开始日": "2026-10-01",
        "计量截止日": "2026-10-31",
        "使用量": "1261.5",
        "使用单位": "kWh",
        "缴费金额": "974.25",
        "经办机关全称": "示范供电局",
        "经办机关统一社会信用代码": USCC,
        "缴纳日期": "2026-11-14",
    } | changes
    return list(values.values())


PAYMENTS = ZHANJIANG_2022.kind("payments")


def problems_of(values: list[str]) -> list[tuple[str, str]]:
    return [(p.item, p.reason.split(" / ")[0]) for p in check_row(PAYMENTS, values, 7, TODAY)]


def test_a_good_row_passes() -> None:
    assert check_row(PAYMENTS, payment(), 1, TODAY) == []
    assert check_row(PAYMENTS, payment(使用量="", 使用单位=""), 1, TODAY) == []  # optional


@pytest.mark.parametrize(
    ("changes", "item", "reason"),
    [
        ({"统一社会信用代码": USCC[:-1] + "R"}, "统一社会信用代码", "校验位"),
        ({"经办机关统一社会信用代码": "9144"}, "经办机关统一社会信用代码", "18"),
        ({"机构名称": " "}, "机构名称", "必填数据项为空"),
        ({"是否预缴费": "N"}, "是否预缴费", "应为是、否之一"),
        ({"计量开始日": "2026/10/01"}, "计量开始日", "日期应为 YYYY-MM-DD"),
        ({"计量开始日": "2026-02-30"}, "计量开始日", "日期应为 YYYY-MM-DD"),
        ({"缴费金额": "-1.00"}, "缴费金额", "金额不能为负"),
        ({"缴费金额": "1.005"}, "缴费金额", "金额应为元，最多两位小数"),
        ({"使用量": "-3"}, "使用量", "应为不小于0的数"),
        ({"计量开始日": "2026-11-01"}, "计量截止日", "早于计量开始日"),
        ({"缴纳日期": "2026-12-01"}, "缴纳日期", "晚于导出日"),
    ],
)
def test_each_check_names_the_item_and_the_reason(
    changes: dict[str, str], item: str, reason: str
) -> None:
    found = problems_of(payment(**changes))
    assert len(found) == 1 and found[0][0] == item and reason in found[0][1], found


def test_a_row_of_the_wrong_width_is_one_problem() -> None:
    [problem] = check_row(PAYMENTS, payment()[:-1], 3, TODAY)
    assert problem.row == 3 and "12" in problem.reason


def test_a_natural_persons_id_is_checked_by_its_document_type() -> None:
    kind = ZHANJIANG_2022.kind("arrears-natural")
    row = ["李四", "居民身份证", RIC, "拖欠水费", "2026-01-01", "2026-10-31", "10.00", "示范供水"]
    assert check_row(kind, row, 1, TODAY) == []
    bad = [*row[:2], RIC[:-1] + "1", *row[3:]]
    assert [p.item for p in check_row(kind, bad, 1, TODAY)] == ["证件号码"]
    passport = [row[0], "护照", "E12345678", *row[3:]]
    assert check_row(kind, passport, 1, TODAY) == []
    unknown = [row[0], "身份证件", RIC, *row[3:]]
    assert [p.item for p in check_row(kind, unknown, 1, TODAY)] == ["证件类型"]


def test_a_commitments_committer_code_may_be_a_uscc_or_a_resident_id() -> None:
    kind = ZHANJIANG_2022.kind("commitments")
    item = kind.items[3]
    assert item.name.startswith("承诺人代码")
    base = ["C1", "甲", "法人及非法人组织", USCC, "主动型", "事由", "内容", "责任", "2026-01-01"]
    base += ["长期", "履行中", "", "", "2026-01-02", "受理", USCC, "认定", USCC, "社会公开", ""]
    assert check_row(kind, base, 1, TODAY) == []
    assert check_row(kind, [*base[:3], RIC, *base[4:]], 1, TODAY) == []
    assert [p.item for p in check_row(kind, [*base[:3], "123", *base[4:]], 1, TODAY)] == [item.name]


@given(st.integers(min_value=0, max_value=10**13))
def test_yuan_writes_fen_exactly(fen: int) -> None:
    written = yuan(fen)
    assert (
        Decimal(written) * 100 == fen
        and written.count(".") == 1
        and len(written.split(".")[1]) == 2
    )


@pytest.mark.parametrize(
    ("milli", "shown"), [(None, ""), (0, "0"), (12_500, "12.5"), (1_261_000, "1261"), (7, "0.007")]
)
def test_quantities_are_plain_decimals(milli: int | None, shown: str) -> None:
    assert quantity(milli) == shown


def test_stored_id_types_are_written_as_the_platforms_names() -> None:
    assert id_type_name(None) == id_type_name("身份证") == "居民身份证"
    assert id_type_name("护照") == "护照"


def test_the_batch_workflow_allows_only_its_transitions() -> None:
    assert BATCH_MACHINE.target(BatchStatus.CREATED, "send") is BatchStatus.SENT
    for answer, status in [
        ("accept", BatchStatus.ACCEPTED),
        ("reject_part", BatchStatus.PARTLY_REJECTED),
        ("reject", BatchStatus.REJECTED),
    ]:
        assert BATCH_MACHINE.target(BatchStatus.SENT, answer) is status
        with pytest.raises(TransitionRefusedError, match="报送"):
            BATCH_MACHINE.target(BatchStatus.CREATED, answer)
    with pytest.raises(TransitionRefusedError):
        BATCH_MACHINE.target(BatchStatus.ACCEPTED, "send")


# Values that pass or fail each kind of check, mixed at random into rows of every kind.
CELLS = [
    "",
    " ",
    "2026-01-01",
    "2026-11-30",
    "2026-13-01",
    "2027-01-01",
    "12.50",
    "-1.00",
    "1.005",
    "7",
    "是",
    "否",
    USCC,
    USCC[:-1] + "R",
    RIC,
    RIC[:-1] + "1",
    "居民身份证",
    "护照",
    "E12345678",
    "x" * 600,
    "甲\n",
    "\n乙",
]


@given(st.data())
def test_checking_a_block_column_by_column_finds_what_each_row_check_finds(
    data: st.DataObject,
) -> None:
    kind = data.draw(st.sampled_from(ZHANJIANG_2022.kinds))
    width = st.just(len(kind.items)) if data.draw(st.booleans()) else st.integers(1, 22)
    rows = data.draw(
        st.lists(width.flatmap(lambda n: st.lists(st.sampled_from(CELLS), min_size=n, max_size=n)))
    )
    first = data.draw(st.integers(1, 10_000))
    expected = {
        i: found
        for i, values in enumerate(rows)
        if (found := check_row(kind, values, first + i, TODAY))
    }
    assert check_rows(kind, rows, first, TODAY) == expected
