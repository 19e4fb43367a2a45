"""Template rendering with the language, the user and the CSRF token in every page."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from utilcredit.access.model import ROLE_LABELS, Permission
from utilcredit.customers.model import IncidentKind
from utilcredit.rating.evaluator import INCIDENT_KIND_ZH
from utilcredit.web import formats
from utilcredit.web.casework import RecordLabels
from utilcredit.web.i18n import LANG_COOKIE, Translator, language

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

LEVEL_COLOURS = {
    "green": "#157a35",  # white on it 5.4:1 (WCAG AA), like the blue and red
    "blue": "#1f6fa3",
    "yellow": "#e6b800",
    "red": "#d7191c",
    "black": "#222222",
}
LEVEL_LABELS = {
    "green": ("绿色", "Green"),
    "blue": ("蓝色", "Blue"),
    "yellow": ("黄色", "Yellow"),
    "red": ("红色", "Red"),
    "black": ("黑色", "Black"),
}
UTILITY_LABELS = {"water": ("供水", "Water"), "power": ("供电", "Power")}
# The fields of an evidence record (a bill, payment, incident, account or report) as shown.
EVIDENCE_FIELDS = {
    "bill_no": ("账单编号", "Bill"),
    "incident_no": ("事件编号", "Incident"),
    "account_no": ("户号", "Account"),
    "period_start": ("计费起始", "Period from"),
    "period_end": ("计费截止", "Period to"),
    "usage_milli": ("用量", "Usage"),
    "unit": ("单位", "Unit"),
    "amount_fen": ("金额", "Amount"),
    "due_on": ("缴费期限", "Due"),
    "kind": ("类别", "Kind"),
    "occurred_on": ("发生日期", "Occurred on"),
    "asset_class": ("设施等级", "Asset class"),
    "severity": ("情节", "Severity"),
    "note": ("备注", "Note"),
    "set_aside_by": ("已不计入评级（失信记录）", "Set aside by record"),
    "opened_on": ("立户日期", "Opened"),
    "payment_mode": ("缴费方式", "Payment mode"),
    "address": ("用水/用电地址", "Supply address"),
    "area": ("区域", "Area"),
    "utility": ("供应类型", "Utility"),
    "source": ("来源", "Source"),
    "issued_on": ("出具日期", "Issued on"),
    "has_dishonesty": ("有失信行为", "Dishonesty found"),
    "on_serious_list": ("列入严重失信主体名单", "On the serious list"),
    "rating": ("信用评级", "Rating"),
}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def to_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` island (``<`` escaped)."""
    text = json.dumps(value, ensure_ascii=False, default=_json_default)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


TEMPLATES.env.filters["tojson_island"] = to_json
# Amounts and usage of the credit file: 1,234.50 元, 12,345.5 m³ (web/formats.py).
TEMPLATES.env.filters["yuan"] = formats.yuan
TEMPLATES.env.filters["yuan_number"] = formats.yuan_number
TEMPLATES.env.filters["quantity"] = formats.quantity
TEMPLATES.env.globals["LEVEL_COLOURS"] = LEVEL_COLOURS
TEMPLATES.env.globals["Permission"] = Permission


@dataclass(frozen=True, slots=True)
class ValueLabels:
    """Stored values in the page's language (``labels('status', 'dead')``), from a table that
    gives each kind of value its Chinese and English words; an unknown value shows as a dash,
    never as its stored name."""

    t: Translator
    words: Mapping[str, tuple[Mapping[Any, str], Mapping[Any, str]]]

    def __call__(self, kind: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        zh, en = self.words[kind]
        key = next((k for k in zh if str(k) == str(value)), None)
        if key is None:
            return "—"
        return self.t.pick(zh[key], en.get(key, zh[key]))


def value_labels(
    request: Request, words: Mapping[str, tuple[Mapping[Any, str], Mapping[Any, str]]]
) -> ValueLabels:
    """The labels in the language the request asks for."""
    return ValueLabels(Translator(language(request.cookies.get(LANG_COOKIE))), words)


def evidence_of(outcome: Any) -> list[dict[str, Any]]:
    """Every evidence record of an explanation's outcome (a rating clause's, an application
    requirement's), its parts included, once each: what the page lists beside it."""
    found: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    stack = [outcome]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        for evidence in item.get("evidence") or []:
            if not isinstance(evidence, dict):
                continue
            key = (evidence.get("kind"), evidence.get("ref"), evidence.get("date"))
            if key not in seen:
                seen.add(key)
                found.append(evidence)
        stack.extend(reversed(item.get("parts") or []))
    return found


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    t = Translator(language(request.cookies.get(LANG_COOKIE)))
    principal = getattr(request.state, "principal", None)

    def level_label(level: str) -> str:
        zh, en = LEVEL_LABELS.get(level, (level, level))
        return t.pick(zh, en)

    def utility_label(utility: str) -> str:
        zh, en = UTILITY_LABELS.get(utility, (utility, utility))
        return t.pick(zh, en)

    def field_label(key: str) -> str:
        zh, en = EVIDENCE_FIELDS.get(key, (key, key))
        return t.pick(zh, en)

    def incident_kind(value: str) -> str:
        try:
            return t.pick(INCIDENT_KIND_ZH[IncidentKind(value)], value.replace("_", " "))
        except ValueError:
            return value

    def role_label(role: Any) -> str:
        zh, en = ROLE_LABELS[role]
        return t.pick(zh, en)

    page = {
        "request": request,
        "t": t,
        "lang": t.lang,
        "principal": principal,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "level_label": level_label,
        "utility_label": utility_label,
        "role_label": role_label,
        "field_label": field_label,
        "incident_kind": incident_kind,
        "msg": t.message,
        "rl": RecordLabels(t),
    }
    page.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)
