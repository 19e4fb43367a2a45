"""Console pages of the customer list (客户查询) and the red/black list (红黑名单): subjects with
their saved levels, filtered, sorted, paged and counted, and the same list as an XLSX export.

Thin like the other console pages: parse, call ``creditfile.lists``, render. Which level a list
shows (the current run of each policy, without overrides) is said on the page and in
``creditfile/lists.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from utilcredit.access.model import Principal
from utilcredit.creditfile import lists
from utilcredit.creditfile.lists import ListedSubject, ListQuery, SortKey
from utilcredit.customers.model import SubjectKind, Utility
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.http.params import NO_NUL, masking
from utilcredit.localtime import today
from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import RunHeader
from utilcredit.web.i18n import LANG_COOKIE, Translator, language
from utilcredit.web.listing import choice, choices, policy_label, query_string, xlsx_response
from utilcredit.web.rendering import LEVEL_LABELS, UTILITY_LABELS, render

router = APIRouter(include_in_schema=False)

PAGE = 20
KINDS = {"legal": ("法人", "Organisation"), "natural": ("自然人", "Natural person")}
SORTS = {
    SortKey.CODE: ("代码", "Code"),
    SortKey.NAME: ("名称", "Name"),
    SortKey.LEVEL: ("等级（绿→黑）", "Level (green → black)"),
    SortKey.CHANGED: ("最近变动", "Latest change"),
}

Text = Annotated[str, Query(max_length=100, pattern=NO_NUL)]
Option = Annotated[str, Query(max_length=100, pattern=NO_NUL)]
Levels = Annotated[list[str], Query(max_length=5)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@dataclass(frozen=True, slots=True)
class Asked:
    """The list's address parameters, as given (the links of the page repeat them)."""

    q: str
    level: list[str]
    area: str
    utility: str
    kind: str
    sort: str

    def query(self) -> ListQuery:
        kind = choice("kind", self.kind, SubjectKind)
        return ListQuery(
            text=self.q,
            levels=frozenset(level.value for level in choices("level", self.level, Level)),
            area=self.area or None,
            utility=choice("utility", self.utility, Utility),
            kind=None if kind is None else kind.value,
            sort=choice("sort", self.sort, SortKey) or SortKey.CODE,
        )

    def params(self) -> list[tuple[str, str | None]]:
        return [
            ("q", self.q),
            *(("level", level) for level in self.level),
            ("area", self.area),
            ("utility", self.utility),
            ("kind", self.kind),
            ("sort", self.sort),
        ]


def _translator(request: Request) -> Translator:
    return Translator(language(request.cookies.get(LANG_COOKIE)))


def _page(
    request: Request,
    connection: Db,
    principal: Principal,
    settings: AppSettings,
    asked: Asked,
    offset: int,
    *,
    red_black: bool,
) -> Response:
    query = asked.query()
    if red_black:
        query = lists.red_black(query)
    listing = lists.list_subjects(
        connection, principal, query, offset=offset, limit=PAGE, rule=masking(settings)
    )
    base = "/lists/red-black" if red_black else "/subjects"
    context: dict[str, Any] = {
        "q": asked.q,
        "asked": asked,
        "page": listing,
        "base": base,
        "params": asked.params(),
        "qs": query_string,
        "red_black": red_black,
        "level_choices": [
            level.value for level in Level if not red_black or level.value in lists.RED_BLACK
        ],
        "areas": lists.area_choices(connection, principal),
        "utilities": sorted(u.value for u in principal.readable_utilities),
        "kinds": KINDS,
        "sorts": {key.value: words for key, words in SORTS.items()},
        "policy_label": lambda key: policy_label(_translator(request), key),
    }
    partial = "partials/search_results.html"
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, partial, context)
    return render(request, "red_black.html" if red_black else "search.html", context)


def _export(
    request: Request,
    connection: Db,
    principal: Principal,
    settings: AppSettings,
    asked: Asked,
    *,
    red_black: bool,
) -> StreamingResponse:
    query = asked.query()
    if red_black:
        query = lists.red_black(query)
    runs, rows = lists.export_subjects(connection, principal, query, rule=masking(settings))
    t = _translator(request)
    stem = "red-black" if red_black else "customers"
    return xlsx_response(
        f"{stem}-{today().isoformat()}.xlsx",
        t.pick("红黑名单", "Red and black list") if red_black else t.pick("客户", "Customers"),
        _headers(t, runs),
        _rows(t, runs, rows),
    )


def _headers(t: Translator, runs: Sequence[RunHeader]) -> list[str]:
    fixed = [
        t.pick("统一社会信用代码/证件号", "Code"),
        t.pick("名称", "Name"),
        t.pick("类型", "Kind"),
        t.pick("供应类型", "Utility"),
        t.pick("区域", "Area"),
    ]
    per_run = [
        t.pick(
            f"等级：{policy_label(t, r.policy_key)}（{r.as_of}）",
            f"Level: {r.policy_key} ({r.as_of})",
        )
        for r in runs
    ]
    return [*fixed, *per_run, t.pick("最近等级变动", "Latest level change")]


def _rows(
    t: Translator, runs: Sequence[RunHeader], rows: Iterator[ListedSubject]
) -> Iterator[list[str]]:
    for s in rows:
        by_run = {saved.run_id: saved.level for saved in s.levels}
        yield [
            s.code,
            s.name,
            t.pick(*KINDS.get(s.kind, (s.kind, s.kind))),
            "、".join(t.pick(*UTILITY_LABELS[u]) for u in s.utilities if u in UTILITY_LABELS),
            s.area or "",
            *(t.pick(*LEVEL_LABELS[by_run[r.id]]) if r.id in by_run else "" for r in runs),
            s.changed_on.isoformat() if s.changed_on else "",
        ]


def _asked(
    q: Text = "",
    level: Levels = [],  # noqa: B006 - FastAPI copies a query list's default
    area: Option = "",
    utility: Option = "",
    kind: Option = "",
    sort: Option = "",
) -> Asked:
    return Asked(q.strip(), level, area, utility, kind, sort)


def _asked_red_black(asked: Annotated[Asked, Depends(_asked)]) -> Asked:
    """The red/black list sorts by level (红 before 黑) unless told otherwise."""
    return replace(asked, sort=asked.sort or SortKey.LEVEL.value)


ListAsked = Annotated[Asked, Depends(_asked)]
RedBlackAsked = Annotated[Asked, Depends(_asked_red_black)]


@router.get("/subjects")
def search_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    asked: ListAsked,
    offset: Offset = 0,
) -> Response:
    return _page(request, connection, principal, settings, asked, offset, red_black=False)


@router.get("/subjects/export.xlsx")
def search_export(
    request: Request, connection: Db, principal: Reader, settings: AppSettings, asked: ListAsked
) -> StreamingResponse:
    return _export(request, connection, principal, settings, asked, red_black=False)


@router.get("/lists/red-black")
def red_black_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    asked: RedBlackAsked,
    offset: Offset = 0,
) -> Response:
    return _page(request, connection, principal, settings, asked, offset, red_black=True)


@router.get("/lists/red-black/export.xlsx")
def red_black_export(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    asked: RedBlackAsked,
) -> StreamingResponse:
    return _export(request, connection, principal, settings, asked, red_black=True)
