"""Console page of the supervision reports (监管报表): a month's figures per utility, with
ECharts charts drawn by ``static/reports.js`` from the page's JSON island (the CSP allows only
the console's own scripts) and the same figures as tables beneath them. The XLSX is the API's
``/api/reports/monthly.xlsx``, which takes the console's session too."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from utilcredit.customers.model import Utility
from utilcredit.http.deps import Db, Reader
from utilcredit.policies.model.levels import Level
from utilcredit.records.model import CLASS_LABELS, KIND_LABELS
from utilcredit.supervision import service
from utilcredit.supervision.model import (
    BATCH_STATUS_LABELS,
    CHANNEL_LABELS,
    DIRECTION_LABELS,
    Month,
)
from utilcredit.web.i18n import LANG_COOKIE, language
from utilcredit.web.rendering import LEVEL_COLOURS, render

router = APIRouter(include_in_schema=False)

# Chart and table words in both languages (the page picks one): value → (中文, English).
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "level": {level.value: (level.label_zh, level.value.title()) for level in Level},
    "kind": {k.value: (v, k.value.replace("_", " ")) for k, v in KIND_LABELS.items()},
    "class": {k.value: (v, k.value) for k, v in CLASS_LABELS.items()},
    "channel": {
        "sms": (CHANNEL_LABELS["sms"], "SMS"),
        "wechat": (CHANNEL_LABELS["wechat"], "WeChat"),
        "email": (CHANNEL_LABELS["email"], "E-mail"),
        "call": (CHANNEL_LABELS["call"], "Phone call"),
        "letter": (CHANNEL_LABELS["letter"], "Letter"),
    },
    "direction": {
        "up": (DIRECTION_LABELS["up"], "Up"),
        "down": (DIRECTION_LABELS["down"], "Down"),
        "same": (DIRECTION_LABELS["same"], "Same"),
        "joined": (DIRECTION_LABELS["joined"], "Joined"),
        "left": (DIRECTION_LABELS["left"], "Left"),
    },
    "batch_status": {k: (v, k.replace("_", " ")) for k, v in BATCH_STATUS_LABELS.items()},
    "series": {
        "filed": ("受理", "Filed"),
        "decided": ("办结", "Decided"),
        "on_time": ("按期办结", "Decided on time"),
        "objections": ("异议", "Objections"),
        "repairs": ("信用修复", "Repairs"),
        "sent": ("已发送", "Sent"),
        "delivered": ("已送达", "Delivered"),
        "failed": ("失败", "Failed"),
        "error_rate": ("差错率 %", "Error rate %"),
        "none": ("未评级", "Not rated"),
    },
}


@router.get("/reports/monthly")
def monthly_page(
    request: Request,
    connection: Db,
    principal: Reader,
    month: Annotated[str | None, Query(max_length=16)] = None,
    utility: Utility | None = None,
) -> Response:
    wanted = Month.parse(month) if month else service.default_month()
    reports = service.monthly_reports(connection, principal, wanted, utility)
    query = {"month": str(wanted)} | ({"utility": utility.value} if utility else {})
    pick = 0 if language(request.cookies.get(LANG_COOKIE)) == "zh" else 1
    words = {
        group: {key: pair[pick] for key, pair in values.items()} for group, values in WORDS.items()
    }
    return render(
        request,
        "reports.html",
        {
            "month": str(wanted),
            "utility": utility.value if utility else "",
            "utilities": [u.value for u in Utility if principal.may_read_utility(u)],
            "reports": reports,
            "words": words,
            "chart_data": {
                "reports": [asdict(r) for r in reports],
                "words": words,
                "colours": LEVEL_COLOURS,
            },
            "xlsx_url": "/api/reports/monthly.xlsx?" + urlencode(query),
        },
    )
