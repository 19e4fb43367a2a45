"""The public dishonesty-criteria document (SPEC 2.4), generated from the same policy data the
engine runs, so what is published is exactly what is applied."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from utilcredit.customers.model import Utility
from utilcredit.policies.model.conditions import NoOverdueInWindowTest
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause, Policy, iter_tests


class RenderFormat(StrEnum):
    MARKDOWN = "md"
    HTML = "html"


_TEMPLATES = {RenderFormat.MARKDOWN: "criteria.md.j2", RenderFormat.HTML: "criteria.html.j2"}
_UTILITY_ZH = {Utility.WATER: "供水", Utility.POWER: "供电"}
# The public credit platforms a policy accepts reports from, by the names people know them by
# (a policy file names them by key); a key not listed shows as written.
REPORT_SOURCE_ZH = {
    "creditchina": "信用中国",
    "jiangsu": "信用江苏",
    "hubei": "信用湖北",
    "guangdong": "信用广东",
}


@dataclass(frozen=True, slots=True)
class _Section:
    level: str
    heading: str
    clauses: tuple[Clause, ...]


def _environment() -> Environment:
    # Autoescape only for HTML: the Markdown keeps the published text byte for byte.
    return Environment(
        loader=PackageLoader("utilcredit.policies", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def _heading(level: Level) -> str:
    rule = "任一项即评定为该等级" if level.is_trigger else "须全部满足"
    return f"{level.label_zh}信用等级（{rule}）"


def _sections(policy: Policy) -> list[_Section]:
    # Published order is best level first, as in the seeds.
    ordered = sorted(policy.levels, key=lambda level: level.badness)
    return [_Section(level.value, _heading(level), policy.clauses_of(level)) for level in ordered]


def _uses_no_overdue(policy: Policy) -> bool:
    tests = [t for c in policy.clauses for t in iter_tests(c.test)]
    tests += [t for d in policy.designations for r in d.requirements for t in iter_tests(r.test)]
    return any(isinstance(t, NoOverdueInWindowTest) for t in tests)


def method_text(policy: Policy) -> str:
    triggers = "、".join(level.label_zh for level in policy.levels_worst_first if level.is_trigger)
    text = (
        f"有{triggers}条款触发时，取其中最差的等级；均未触发时，绿色条件全部满足为绿色，"
        f"否则蓝色条件全部满足为蓝色，否则为{policy.fallback_level.label_zh}。"
        "“以上、以下、以内”包括本数，“超过、不满”不包括本数；“一年内”指评定日前一年（不含）至评定日（含）。"
        "缺少所需数据（如没有公共信用报告）的条件视为不满足。"
        "企业在本单位的全部户号合并评定，立户前发生的事件（如正式供水供电前的窃水窃电）同样计入。"
        "已修复、已撤销或经异议更正的失信记录及其所依据的事件、账单不再计入；异议处理期间的记录照常计入。"
    )
    if _uses_no_overdue(policy):
        text += (
            "“N年内无欠费”指该期间内任何时点都没有已到期未付清的账单："
            "期间开始前到期、进入期间时仍未付清的账单也算欠费；到期当日付清的不算，评定日当日到期的账单尚未逾期。"
        )
    return text


def render(policy: Policy, fmt: RenderFormat | str = RenderFormat.MARKDOWN) -> str:
    """The criteria document of ``policy`` as Markdown or HTML (Chinese)."""
    template = _environment().get_template(_TEMPLATES[RenderFormat(fmt)])
    levels_zh = "、".join(
        level.label_zh for level in sorted(policy.levels, key=lambda level: level.badness)
    )
    return template.render(
        policy=policy,
        sections=_sections(policy),
        utility_zh=_UTILITY_ZH[policy.utility],
        levels_zh=levels_zh,
        method=method_text(policy),
        report_sources_zh="、".join(REPORT_SOURCE_ZH.get(s, s) for s in policy.report_sources),
    )
