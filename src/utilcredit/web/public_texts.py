"""The public disclosure site's texts, Chinese first with English (``?lang=en`` or the console's
``lang`` cookie). Kept apart from the console's catalogue (``web/i18n.py``) because the public
site imports nothing of the console: what it can say is all here."""

from __future__ import annotations

from utilcredit.disclosure.model import DETAIL_LABELS

TEXTS: dict[str, tuple[str, str]] = {
    "site.title": ("供水供电信用信息公示", "Utility credit disclosure"),
    "site.note": (
        "本站公示供水、供电企业依法公开的信用信息：评价标准、社会公开的信用承诺和公示期内的失信记录。"
        "自然人的姓名和证件号码已脱敏，不公开联系电话、住址等个人信息。",
        "Credit information the water and power utilities publish by law: the rating criteria, "
        "the commitments marked for disclosure and dishonesty records within their publication "
        "period. Natural persons' names and ID numbers are masked; phone numbers, addresses and "
        "other personal data are never published.",
    ),
    "nav.home": ("首页", "Home"),
    "nav.policies": ("评价标准", "Criteria"),
    "nav.commitments": ("信用承诺公示", "Commitments"),
    "nav.records": ("失信记录公示", "Dishonesty records"),
    "nav.lookup": ("信用查询", "Look-up"),
    "nav.skip": ("跳到正文", "Skip to content"),
    "nav.main": ("主导航", "Main"),
    "lang.switch": ("English", "中文"),
    "index.policies": ("信用等级评价标准", "Credit rating criteria"),
    "index.published_at": ("公示内容更新于", "Published view updated"),
    "index.never": ("尚未发布公示内容", "Nothing published yet"),
    "policy.issuer": ("发布单位及文号", "Issued by"),
    "policy.effective_from": ("施行日期", "In force from"),
    "policy.version": ("版本", "Version"),
    "policy.utility": ("适用", "Applies to"),
    "policy.criteria": ("评价标准全文", "The criteria"),
    "policy.criteria_note": (
        "以下内容由评级系统实际执行的政策数据生成，与评定所用条款一致。",
        "Generated from the same policy data the rating engine runs.",
    ),
    "entries.total": ("共", "Total"),
    "entries.none": ("暂无公示内容", "Nothing published"),
    "entries.subject": ("主体名称", "Subject"),
    "entries.code": ("统一社会信用代码/证件号码", "Credit code / ID number"),
    "entries.item": ("公示事项", "Item"),
    "entries.utility": ("行业", "Sector"),
    "entries.details": ("详情", "Details"),
    "entries.period_note": (
        "失信记录仅在公示期内展示；已修复、已删除或已更正的记录不再公示。",
        "Records are shown within their publication period only; repaired, removed or "
        "corrected records are no longer shown.",
    ),
    "lookup.label": ("统一社会信用代码或企业全称", "USCC or the exact legal name"),
    "lookup.submit": ("查询", "Search"),
    "lookup.hint": (
        "仅可查询法人和其他组织（按统一社会信用代码或完整名称精确匹配）；不提供自然人查询。",
        "Legal persons only, by USCC or exact name; natural persons cannot be looked up.",
    ),
    "lookup.none": ("未查询到公示信息", "Nothing published for"),
    "lookup.found": ("查询结果", "Results for"),
    "pager.previous": ("上一页", "Previous"),
    "pager.next": ("下一页", "Next"),
    "pager.page": ("页", "page"),
    "utility.water": ("供水", "Water"),
    "utility.power": ("供电", "Power"),
    "kind.record": ("失信记录", "Dishonesty record"),
    "kind.commitment": ("信用承诺", "Commitment"),
    "limit.title": ("访问过于频繁", "Too many requests"),
    "limit.text": ("请稍后再试", "Please try again in a moment"),
    "notfound.title": ("未找到", "Not found"),
    **{f"detail.{key}": labels for key, labels in DETAIL_LABELS.items()},
}


def text(key: str, lang: str) -> str:
    texts = TEXTS.get(key)
    if texts is None:
        return key
    return texts[0] if lang == "zh" else texts[1]
