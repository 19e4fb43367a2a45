"""Template rendering with the language, the user and the CSRF token in every page."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from utilcredit.access.model import ROLE_LABELS, Permission
from utilcredit.web.i18n import LANG_COOKIE, Translator, language

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

LEVEL_COLOURS = {
    "green": "#1a9641",
    "blue": "#2b83ba",
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
TEMPLATES.env.globals["LEVEL_COLOURS"] = LEVEL_COLOURS
TEMPLATES.env.globals["Permission"] = Permission


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
        "msg": t.message,
    }
    page.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)
