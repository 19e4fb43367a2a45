"""Commitment templates: the packaged files, the seeds' wording, filling and dated duties."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
import yaml

from utilcredit.commitments import templates as tpl
from utilcredit.commitments.templates import (
    BLANK_FIELD,
    ObligationSpec,
    TemplateFileError,
    all_templates,
    fill,
    parse_template,
    template,
    templates_for_policy,
)
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.policies.loader import list_policies

SHIPPED = {
    ("general-lianshui-water", "2022.1"),
    ("general-huaiyin-power", "2021.1"),
    ("general-suizhou-water", "2023.1"),
    ("credit-water-shaoguan", "2022.1"),
    ("honest-power-zhanjiang", "2022.1"),
    ("repair", "2026.1"),
}

ZHANJIANG_VALUES = {
    "unit_name": "湛江市霞山区宏达五金制品有限公司",
    "uscc": "91440803MA4UL0N17X",
    "legal_rep": "李卫东",
    "legal_rep_id_type": "居民身份证",
    "legal_rep_id_number": "440803198001011234",
    "relation": "租户",
}


def test_every_packaged_template_loads() -> None:
    loaded = all_templates()
    assert {(t.key, t.version) for t in loaded} == SHIPPED
    assert [(t.key, t.version_key) for t in loaded] == sorted(
        (t.key, t.version_key) for t in loaded
    )
    # Read once per process.
    assert all_templates() is loaded


def test_the_files_ship_inside_the_package() -> None:
    folder = resources.files("utilcredit.commitments").joinpath("templates")
    assert folder.joinpath("honest-power-zhanjiang", "2022.1.yaml").is_file()


def test_templates_serve_shipped_policies_and_every_policy_has_its_letters() -> None:
    policy_keys = {p.key for p in list_policies()}
    for t in all_templates():
        assert set(t.policies) <= policy_keys, t.key
    assert {t.key for t in templates_for_policy("lianshui-water")} == {
        "general-lianshui-water",
        "repair",
    }
    assert [t.key for t in templates_for_policy("zhanjiang-power")] == [
        "honest-power-zhanjiang",
        "repair",
    ]
    assert templates_for_policy("no-such-policy") == ()


@pytest.mark.parametrize(
    ("key", "title", "commitment_type", "effective_from"),
    [
        ("general-lianshui-water", "信用承诺书", "voluntary", dt.date(2022, 1, 1)),
        ("general-huaiyin-power", "信用承诺书", "voluntary", dt.date(2021, 9, 23)),
        ("general-suizhou-water", "信用承诺书", "voluntary", dt.date(2023, 6, 2)),
        ("credit-water-shaoguan", "信用办水承诺书", "approval_substitute", dt.date(2022, 1, 1)),
        (
            "honest-power-zhanjiang",
            "诚信守法用电承诺书",
            "approval_substitute",
            dt.date(2022, 1, 1),
        ),
        ("repair", "信用修复承诺书", "credit_repair", dt.date(2026, 4, 1)),
    ],
)
def test_titles_types_and_dates(
    key: str, title: str, commitment_type: str, effective_from: dt.date
) -> None:
    t = template(key)
    assert t.title == title
    assert t.commitment_type == commitment_type
    assert t.effective_from == effective_from
    assert t.disclosure == "public"  # every letter says it is made public


# Paragraphs copied by hand from the seeds (/work/shared/seeds, not part of the repository).
SEED_TEXT = {
    "general-lianshui-water": [
        "我单位/公司(名称) {unit_name}, 统一社会信用代码为 {uscc}。",
        "一、提供给涟水县涟缘水务有限公司的所有资料均合法、真实、有效，并对所提供资料的真实性负责；",
        "三、若发生违法失信、违约用水等行为，将依照有关法律、法规规章和政策规定接受处罚，并依法承担相应责任；",
        "五、本《信用承诺书》同意向社会公开。",
    ],
    "general-huaiyin-power": [
        "我单位/公司（名称）{unit_name}，统一社会信用代码为{uscc}。",
        "一、提供给国网淮安供电公司淮阴供电营业部的所有资料均合法、真实、有效，并对所提供资料的真实性负责；",
        "二、遵守国家法律、法规、规章和政策规定，开展生产经营活动，主动接受行业监管，自愿接受依法开展的日常用电检查；",
        "四、自觉接受政府、行业组织、社会公众、新闻舆论的监督，积极履行社会责任；",
    ],
    "general-suizhou-water": [
        # Simplified characters, the seed's half-width punctuation, its missing 政府 kept.
        "一、提供给随州市水务集团有限公司的所有资料均合法、真实、有效,并对所提供资料的真实性负责;",
        "三、若发生违法失信、违约用水等行为,将依照有关法律、法规规章和政策规定接受处罚,并依法承担相应责任;",
        "四、自觉接受、行业组织、社会公众、新闻舆论的监督,积极履行社会责任;",
    ],
    "credit-water-shaoguan": [
        "我单位郑重承诺∶",
        "一、所提供资料均合法、真实、准确和有效，不存在伪造证明材料、隐瞒实际情况、妨害供水企业或其他主体权益等情况。",
        "二、用水地址对应物业权属为我单位合法拥有或合法使用，不存在违章、违建或其他违法情形及纠纷。",
        "五、若未遵守本承诺内容，将依照有关法律、法规、规章、政策或合同约定承担相应责任，并自愿接受、承担终止供用水关系的处置以及由此产生的后果。",
    ],
    "honest-power-zhanjiang": [
        "三、承诺在接火送电后一年内补齐物业权属证明或相关证明文件，如在规定时限内无法提供，供电企业可配合相关执法部门对我单位进行停电处理，我单位配合供电企业停电工作。",
        "五、自觉履行合同义务，诚信用电，不拖欠电费，不违约用电；做好自有产权界面电力设备、设施的运行维护，根据供电企业通知及时整改安全隐患；",
        "七、本《诚信守法用电承诺书》统一向社会公开，自愿承担违反本承诺的后果。",
    ],
}


@pytest.mark.parametrize("key", sorted(SEED_TEXT))
def test_key_paragraphs_are_the_seeds_words(key: str) -> None:
    t = template(key)
    texts = [*t.opening, *t.paragraphs]
    positions = [texts.index(expected) for expected in SEED_TEXT[key]]
    assert positions == sorted(positions)  # in the seed's order
    # Numbered as in the seed, one promise after the other.
    numbers = "一二三四五六七八九"
    assert [p[:2] for p in t.paragraphs] == [f"{n}、" for n in numbers[: len(t.paragraphs)]]


def test_the_liability_sentences_are_the_seeds_and_inside_the_promises() -> None:
    assert template("credit-water-shaoguan").liability == (
        "若未遵守本承诺内容，将依照有关法律、法规、规章、政策或合同约定承担相应责任，"
        "并自愿接受、承担终止供用水关系的处置以及由此产生的后果。"
    )
    assert template("honest-power-zhanjiang").liability.startswith("若未遵守本承诺内容")
    for t in all_templates():
        assert t.liability_in_paragraphs is (t.key != "repair"), t.key


def test_fields_and_signature_labels() -> None:
    shaoguan = template("credit-water-shaoguan")
    assert [(f.label, f.required) for f in shaoguan.fields] == [
        ("申请用水单位名称", True),
        ("申请用水地址", True),
        ("统一社会信用代码", True),
        ("法定代表人姓名", True),
        ("法定代表人身份证件类型", True),
        ("法定代表人身份证件号码", True),
        ("无法提供产权证明原因", True),
        ("申请单位与用水地址对应物业权属的关系", True),
    ]
    assert shaoguan.field("relation").choices == ("业主", "租户")
    zhanjiang = template("honest-power-zhanjiang")
    # The seed prints the legal representative's line above the unit's.
    assert [(s.kind, s.label, s.after) for s in zhanjiang.signature] == [
        ("sign", "法定代表人", "(签字)"),
        ("seal", "单位名称", "(盖章)"),
        ("date", "", ""),
    ]
    assert "简体" in (template("general-suizhou-water").note or "")


def test_only_zhanjiang_creates_a_dated_duty() -> None:
    assert [t.key for t in all_templates() if t.obligations] == ["honest-power-zhanjiang"]
    (duty,) = template("honest-power-zhanjiang").obligations
    assert duty.key == "property_documents"
    assert duty.text.startswith("承诺在接火送电后一年内补齐物业权属证明或相关证明文件")
    assert (duty.due.years, duty.due.months, duty.due.after) == (1, 0, "connected_on")
    assert duty.remind_days_before == 30
    assert duty.on_breach == "refer_for_disconnection"


@pytest.mark.parametrize(
    ("connected", "due"),
    [
        (dt.date(2027, 2, 28), dt.date(2028, 2, 28)),
        (dt.date(2028, 2, 29), dt.date(2029, 2, 28)),  # Feb 29 + 1 year = Feb 28
        (dt.date(2026, 3, 1), dt.date(2027, 3, 1)),
        (dt.date(2026, 12, 31), dt.date(2027, 12, 31)),
        # Across a Feb 29: a year is a calendar year, not 365 days.
        (dt.date(2027, 3, 1), dt.date(2028, 3, 1)),
        (dt.date(2028, 1, 15), dt.date(2029, 1, 15)),
    ],
)
def test_zhanjiang_property_documents_are_due_one_year_after_connection(
    connected: dt.date, due: dt.date
) -> None:
    (duty,) = template("honest-power-zhanjiang").obligations
    assert duty.due_on(connected) == due
    assert duty.remind_on(connected) == due - dt.timedelta(days=30)


def test_months_clamp_to_the_end_of_the_month() -> None:
    duty = ObligationSpec.model_validate(
        {"key": "k", "text": "t", "due": {"years": 1, "months": 1, "after": "made_on"}}
    )
    assert duty.due_on(dt.date(2026, 1, 31)) == dt.date(2027, 2, 28)
    assert duty.due_on(dt.date(2027, 1, 31)) == dt.date(2028, 2, 29)
    assert duty.remind_on(dt.date(2026, 1, 31)) == dt.date(2027, 2, 28)  # no reminder lead


def test_fill_puts_the_values_in_the_blanks() -> None:
    filled = fill(
        template("general-huaiyin-power"),
        {"unit_name": " 淮安市某某机械有限公司 ", "uscc": "91320804MA1XYZ1234"},
    )
    assert filled.key == "general-huaiyin-power"
    assert filled.version == "2021.1"
    assert filled.title == "信用承诺书"
    assert (
        filled.opening[0]
        == "我单位/公司（名称）淮安市某某机械有限公司，统一社会信用代码为91320804MA1XYZ1234。"
    )
    # The optional heading blank stays a line to fill in by hand.
    assert filled.heading == f"{BLANK_FIELD}单位"
    assert [(f.label, f.value) for f in filled.fields] == [
        ("单位", BLANK_FIELD),
        ("单位/公司名称", "淮安市某某机械有限公司"),
        ("统一社会信用代码", "91320804MA1XYZ1234"),
    ]
    assert filled.committer_name == "淮安市某某机械有限公司"
    assert filled.paragraphs == template("general-huaiyin-power").paragraphs
    assert filled.content.startswith("我单位/公司（名称）淮安市某某机械有限公司")
    assert filled.content.endswith("五、本《信用承诺书》同意向社会公开。")


def test_a_value_is_put_in_as_given_never_read_as_a_placeholder() -> None:
    filled = fill(template("general-suizhou-water"), {"unit_name": "{uscc}公司", "uscc": "X"})
    assert filled.opening[0] == "我单位/公司(名称){uscc}公司,统一社会信用代码为X。"


def test_fill_names_every_missing_and_unknown_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        fill(
            template("credit-water-shaoguan"),
            {"unit_name": "某公司", "address": "  ", "colour": "红", "zzz": "1"},
        )
    message = str(caught.value)
    zh, en = message.split(" / ")
    assert zh.startswith("缺少承诺书字段：申请用水地址（address）、统一社会信用代码（uscc）")
    assert "无法提供产权证明原因（no_title_reason）" in zh
    assert "未知的承诺书字段：colour、zzz" in zh
    assert en.startswith("missing commitment fields: address, uscc, legal_rep, ")
    assert en.endswith("; unknown commitment fields: colour, zzz")
    for name in ("legal_rep_id_type", "legal_rep_id_number", "no_title_reason", "relation"):
        assert name in en
    assert "unit_name" not in message  # given


def test_a_choice_must_be_one_of_its_options() -> None:
    with pytest.raises(InvalidInputError) as caught:
        fill(template("honest-power-zhanjiang"), {**ZHANJIANG_VALUES, "relation": "房东"})
    assert str(caught.value) == (
        "承诺书字段取值无效：申请单位与用电地址对应建筑物的关系（relation）须为业主/租户"
        " / invalid commitment field values: relation must be one of 业主/租户"
    )
    assert fill(template("honest-power-zhanjiang"), ZHANJIANG_VALUES).value("relation") == "租户"


def test_unknown_template_or_version_is_not_found() -> None:
    with pytest.raises(NotFoundError) as caught:
        template("no-such-letter")
    assert str(caught.value) == (
        "没有该承诺书模板：no-such-letter / no commitment template no-such-letter"
    )
    with pytest.raises(NotFoundError, match=r"repair 1999\.1"):
        template("repair", "1999.1")
    assert template("repair", "2026.1").version == "2026.1"


def test_the_newest_version_is_picked(monkeypatch: pytest.MonkeyPatch) -> None:
    base = template("general-lianshui-water")
    versions = tuple(
        base.model_copy(update={"version": v}) for v in ("2022.9", "2022.10", "2021.3")
    )
    monkeypatch.setattr(tpl, "all_templates", lambda: (*all_templates(), *versions))
    assert template("general-lianshui-water").version == "2022.10"  # numbers, not text
    assert template("general-lianshui-water", "2022.9").version == "2022.9"
    (newest,) = [t for t in templates_for_policy("lianshui-water") if t.key == base.key]
    assert newest.version == "2022.10"


def _raw(**changes: object) -> dict[str, object]:
    raw = template("honest-power-zhanjiang").model_dump(mode="json")
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"paragraphs": ["一、{nobody}"]}, "placeholders name no field"),
        ({"opening": ["我单位{郑重承诺"]}, "stray brace"),
        ({"fields": [{"name": "uscc", "label": "统一社会信用代码"}]}, "'unit_name'"),
        ({"signature": [{"kind": "seal", "label": "x"}]}, "one seal, one sign and one date"),
        ({"paragraphs": ["一、别的话。"]}, "its text is in no paragraph"),
        ({"commitment_type": "promise"}, "commitment_type"),
        ({"version": "v1"}, "version"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
        ({"field_table": False}, "fields printed nowhere"),
    ],
)
def test_invalid_template_files_are_refused(changes: dict[str, object], reason: str) -> None:
    data = yaml.safe_dump(_raw(**changes), allow_unicode=True).encode()
    with pytest.raises(TemplateFileError, match=reason):
        parse_template(data, "test.yaml")


def test_a_valid_file_round_trips_and_models_are_frozen() -> None:
    data = yaml.safe_dump(_raw(), allow_unicode=True).encode()
    parsed = parse_template(data, "test.yaml")
    assert parsed == template("honest-power-zhanjiang")
    with pytest.raises(ValueError, match="frozen"):
        parsed.title = "x"  # type: ignore[misc]
    with pytest.raises(TemplateFileError, match="not valid YAML"):
        parse_template(b"key: [", "broken.yaml")
