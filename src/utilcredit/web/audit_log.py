"""Console page of the audit log (审计日志): auditors (and administrators, who also read the
trail) filter it by actor, action, subject and local date range, page through it, and export
what they filtered as XLSX or CSV.

Thin like the other pages: the trail as the reader may see it (scoped to its utilities, a
natural person's number masked) comes from ``access/audit_trail.py``, as ``/api/audit`` does.
Times are shown in Asia/Shanghai with their offset; the date range is in local days.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Connection

from utilcredit.access import audit_trail
from utilcredit.access.model import Principal
from utilcredit.audit.repository import AuditFilter, AuditLine
from utilcredit.config import Settings
from utilcredit.http.deps import AppSettings, Auditor, Db
from utilcredit.http.params import NO_NUL, masking
from utilcredit.localtime import SHANGHAI
from utilcredit.web.casework import RecordLabels
from utilcredit.web.i18n import LANG_COOKIE, Translator, language
from utilcredit.web.rendering import UTILITY_LABELS, render

router = APIRouter(include_in_schema=False)

PAGE = 50
# Excel's sheet holds 1,048,576 rows; an export stops below that (the header is one of them).
MAX_EXPORT_ROWS = 1_000_000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024

Text = Annotated[str, Query(max_length=200, pattern=NO_NUL)]
# Local days as typed, YYYY-MM-DD or empty (a date input left blank): checked by the page.
DayFrom = Annotated[str, Query(alias="from", max_length=10, pattern=NO_NUL)]
DayTo = Annotated[str, Query(alias="to", max_length=10, pattern=NO_NUL)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]

# ---- the words: actions and entities in both languages -------------------------------------

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "login": ("登录", "Log in"),
    "login_failed": ("登录失败", "Failed log-in"),
    "login_lockout": ("登录锁定", "Log-in lockout"),
    "login_unlock": ("解除登录锁定", "Lockout lifted"),
    "logout": ("退出登录", "Log out"),
    "token_issue": ("签发接口令牌", "API token issued"),
    "token_revoke": ("吊销接口令牌", "API token revoked"),
    "user_create": ("添加用户", "User added"),
    "user_disable": ("停用用户", "User disabled"),
    "user_enable": ("启用用户", "User enabled"),
    "user_grants": ("修改角色与单位", "Roles and utilities changed"),
    "password_reset": ("重设密码", "Password reset"),
    "access_denied": ("拒绝访问", "Access denied"),
    "view_unmasked": ("查看未脱敏信息", "Unmasked view"),
    "search_personal_number": ("按身份证号查询", "Search by ID number"),
    "import": ("导入数据", "Import"),
    "import_failed": ("导入失败", "Import failed"),
    "override_request": ("申请人工调整", "Override requested"),
    "override_approve": ("批准人工调整", "Override approved"),
    "override_reject": ("驳回人工调整", "Override rejected"),
    "override_withdraw": ("撤回人工调整", "Override withdrawn"),
    "calendar_load": ("载入工作日历", "Calendar loaded"),
    "calendar_set_day": ("设置日历日", "Calendar day set"),
    "measure_grant": ("给予激励措施", "Measure granted"),
    "zone_set": ("设置试点区域", "Pilot zone set"),
    "notice_view_unmasked": ("查看通知联系方式", "Notice contact viewed"),
    "notice_contact_set": ("设置通知联系方式", "Notice contact set"),
    "notice_contact_remove": ("删除通知联系方式", "Notice contact removed"),
    "notice_opt_out": ("退订通知", "Notices opted out"),
    "notice_opt_in": ("恢复通知", "Notices opted in"),
    "print_batch_create": ("生成打印批次", "Print batch created"),
    "print_batch_printed": ("打印批次已打印", "Print batch printed"),
    "print_batch_posted": ("打印批次已寄出", "Print batch posted"),
    "exchange.export": ("生成报送文件", "Export made"),
    "exchange.download": ("下载报送文件", "Export downloaded"),
    "exchange.correct": ("更正报送数据", "Submission corrected"),
    "exchange.corrected_by_reimport": ("重新导入更正", "Corrected by re-import"),
    "exchange.check": ("信用核查", "Credit check"),
    "exchange.check_failed": ("信用核查失败", "Credit check failed"),
    "exchange.check_use": ("登记核查结果用途", "Credit check use recorded"),
}
ENTITY_LABELS: dict[str, tuple[str, str]] = {
    "user": ("用户", "User"),
    "user_session": ("会话", "Session"),
    "api_token": ("接口令牌", "API token"),
    "address": ("客户端地址", "Client address"),
    "subject": ("主体", "Subject"),
    "override": ("人工调整", "Override"),
    "import": ("导入", "Import"),
    "record": ("失信记录", "Record"),
    "objection": ("异议", "Objection"),
    "repair": ("修复申请", "Repair application"),
    "commitment": ("信用承诺", "Commitment"),
    "application": ("信用办理申请", "Application"),
    "notice": ("通知", "Notice"),
    "print_batch": ("打印批次", "Print batch"),
    "exchange_batch": ("报送批次", "Submission batch"),
    "credit_check": ("信用核查", "Credit check"),
    "zone": ("试点区域", "Pilot zone"),
    "calendar": ("工作日历", "Calendar"),
    "audit": ("审计日志", "Audit log"),
    "csrf": ("表单校验", "Form check"),
    # An import's entry names the kind of file it loaded (importing/formats.py: IMPORT_ORDER).
    "subjects": ("主体文件", "Subjects file"),
    "accounts": ("户号文件", "Accounts file"),
    "bills": ("账单文件", "Bills file"),
    "payments": ("缴费文件", "Payments file"),
    "incidents": ("事件文件", "Incidents file"),
    "reminders": ("催告文件", "Payment demands file"),
    "credit_reports": ("信用报告文件", "Credit reports file"),
}
# Case steps are audited as ``<case type>_<action>`` (records/cases.py).
CASE_TYPES = ("record", "objection", "repair")


@dataclass(frozen=True, slots=True)
class AuditWords:
    """The trail's stored values in the page's language. A value no table names (a new
    action) shows as itself: it is an identifier, and hiding it would hide what happened."""

    t: Translator

    def action(self, code: str) -> str:
        if code in ACTION_LABELS:
            return self.t.pick(*ACTION_LABELS[code])
        case_type, _, step = code.partition("_")
        if case_type in CASE_TYPES and step:
            label = RecordLabels(self.t).action(case_type, step)
            if label != "—":
                return f"{self.entity(case_type)} · {label}"
        return code

    def entity(self, code: str) -> str:
        return self.t.pick(*ENTITY_LABELS[code]) if code in ENTITY_LABELS else code

    def utilities(self, codes: Iterable[str]) -> str:
        names = [self.t.pick(*UTILITY_LABELS[c]) for c in codes if c in UTILITY_LABELS]
        return "、".join(names) if self.t.lang == "zh" else ", ".join(names)

    def headers(self) -> list[str]:
        return [
            self.t.pick("时间（北京时间）", "Time (Beijing, UTC+8)"),
            self.t.pick("操作人", "Actor"),
            self.t.pick("操作", "Action"),
            self.t.pick("对象类型", "Entity"),
            self.t.pick("对象", "Key"),
            self.t.pick("原因", "Reason"),
            self.t.pick("详情", "Detail"),
            self.t.pick("涉及单位", "Utilities"),
        ]

    def row(self, line: AuditLine) -> list[str]:
        return [
            local_moment(line.at),
            line.actor,
            self.action(line.action),
            self.entity(line.entity),
            line.entity_key or "",
            line.reason or "",
            detail_text(line.detail),
            self.utilities(line.utilities),
        ]


def local_moment(moment: dt.datetime) -> str:
    """A stored (UTC) time in Asia/Shanghai with its offset: ``2026-12-01 14:05:09+08:00``."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).isoformat(sep=" ", timespec="seconds")


def detail_text(detail: dict[str, Any] | None) -> str:
    return "" if not detail else json.dumps(detail, ensure_ascii=False, sort_keys=True)


# ---- the filter -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The filter as typed (shown back in the form and carried by the pager and exports)."""

    actor: str = ""
    action: str = ""
    subject: str = ""
    date_from: str = ""
    date_to: str = ""

    def query(self) -> str:
        pairs = {
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "from": self.date_from,
            "to": self.date_to,
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def audit_filter(filters: Filters) -> tuple[AuditFilter, list[str]]:
    """The store's filter for what was typed, and the fields typed wrong (left open). The
    dates are local days, both included: from 00:00 of the first to 00:00 after the last,
    Asia/Shanghai."""
    bad: list[str] = []
    first, last = _day(filters.date_from), _day(filters.date_to)
    if filters.date_from and first is None:
        bad.append("from")
    if filters.date_to and last is None:
        bad.append("to")
    wanted = AuditFilter(
        actor=filters.actor.strip() or None,
        action=filters.action.strip() or None,
        entity_key=filters.subject.strip() or None,
        since=_local_midnight(first) if first else None,
        until=_local_midnight(last + dt.timedelta(days=1)) if last else None,
    )
    return wanted, bad


def _filters(
    actor: Text = "",
    action: Text = "",
    subject: Text = "",
    date_from: DayFrom = "",
    date_to: DayTo = "",
) -> Filters:
    """The filter from the query (the page's form, its pager and its export links)."""
    return Filters(actor.strip(), action.strip(), subject.strip(), date_from, date_to)


FiltersDep = Annotated[Filters, Depends(_filters)]


# ---- the page -------------------------------------------------------------------------------


@router.get("/admin/audit")
def audit_page(
    request: Request,
    connection: Db,
    principal: Auditor,
    settings: AppSettings,
    filters: FiltersDep,
    offset: Offset = 0,
) -> Response:
    wanted, bad = audit_filter(filters)
    page = audit_trail.audit_log(
        connection,
        principal,
        actor=wanted.actor,
        action=wanted.action,
        entity_key=wanted.entity_key,
        since=wanted.since,
        until=wanted.until,
        offset=offset,
        limit=PAGE,
        rule=masking(settings),
    )
    t = Translator(language(request.cookies.get(LANG_COOKIE)))
    return render(
        request,
        "audit_log.html",
        {
            "filters": filters,
            "query": filters.query(),
            "bad": bad,
            "page": page,
            "actions": audit_trail.audit_actions(connection, principal),
            "aw": AuditWords(t),
            "local_moment": local_moment,
            "detail_text": detail_text,
        },
    )


# ---- the exports ----------------------------------------------------------------------------


def _write_csv(handle: IO[bytes], headers: list[str], rows: Iterable[list[str]]) -> None:
    # UTF-8 with a byte-order mark: Excel opens it with the Chinese intact.
    handle.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    text.detach()  # the caller owns the file: leave it open


def _write_xlsx(handle: IO[bytes], headers: list[str], rows: Iterable[list[str]]) -> None:
    from openpyxl import Workbook  # heavy: only when an export is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)  # text cells: times and keys keep their form
    book.save(handle)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def _rows(words: AuditWords, lines: Iterable[AuditLine]) -> Iterator[list[str]]:
    for count, line in enumerate(lines):
        if count >= MAX_EXPORT_ROWS:
            return
        yield words.row(line)


def _export(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    filters: Filters,
    fmt: str,
) -> Response:
    """The filtered trail as a file. It is written while the request's transaction is open
    (a spooled temporary file: memory stays flat, the trail read a batch at a time), then
    streamed back in chunks."""
    wanted, _ = audit_filter(filters)
    words = AuditWords(Translator(language(request.cookies.get(LANG_COOKIE))))
    lines = audit_trail.audit_lines(connection, principal, wanted, rule=masking(settings))
    # Not a with-block: the response closes the file once it has streamed it (_chunks).
    handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    write = _write_xlsx if fmt == "xlsx" else _write_csv
    try:
        write(handle, words.headers(), _rows(words, lines))
    except BaseException:
        handle.close()
        raise
    stamp = dt.datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M%S")
    media = XLSX_MEDIA_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    return StreamingResponse(
        _chunks(handle),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.{fmt}"'},
    )


@router.get("/admin/audit/export.xlsx")
def export_xlsx(
    request: Request,
    connection: Db,
    principal: Auditor,
    settings: AppSettings,
    filters: FiltersDep,
) -> Response:
    return _export(request, connection, principal, settings, filters, "xlsx")


@router.get("/admin/audit/export.csv")
def export_csv(
    request: Request,
    connection: Db,
    principal: Auditor,
    settings: AppSettings,
    filters: FiltersDep,
) -> Response:
    return _export(request, connection, principal, settings, filters, "csv")
