"""Supervision reports for the credit office (监管报表, docs/supervision.md): a month's figures
per utility as JSON, or as an XLSX workbook (one sheet a section).

The credit office reads every utility; others read only the utilities they belong to: without
``utility`` they get their own utilities' reports, and asking for another utility is refused
(403, audited)."""

from __future__ import annotations

from io import BytesIO
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from utilcredit.api.schemas import ERROR_RESPONSES
from utilcredit.api.schemas_reports import MonthlyReportsOut
from utilcredit.customers.model import Utility
from utilcredit.http.deps import Db, Reader
from utilcredit.supervision import service
from utilcredit.supervision.model import Month
from utilcredit.supervision.xlsx import MEDIA_TYPE, file_name, write_xlsx

router = APIRouter(prefix="/reports", tags=["supervision reports"], responses=ERROR_RESPONSES)

MonthParam = Annotated[
    str,
    Query(max_length=16, description="月份 / month, YYYY-MM (Asia/Shanghai), e.g. 2026-11"),
]
UtilityParam = Annotated[
    Utility | None, Query(description="行业 / utility (default: every one the reader reads)")
]


@router.get(
    "/monthly",
    response_model=MonthlyReportsOut,
    summary="月度监管报表 / the month's supervision report per utility",
)
def monthly(
    connection: Db, principal: Reader, month: MonthParam, utility: UtilityParam = None
) -> MonthlyReportsOut:
    wanted = Month.parse(month)
    reports = service.monthly_reports(connection, principal, wanted, utility)
    return MonthlyReportsOut(month=str(wanted), reports=reports)


@router.get(
    "/monthly.xlsx",
    summary="月度监管报表（XLSX） / the month's supervision report as a workbook",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "XLSX workbook"}},
)
def monthly_xlsx(
    connection: Db, principal: Reader, month: MonthParam, utility: UtilityParam = None
) -> Response:
    wanted = Month.parse(month)
    reports = service.monthly_reports(connection, principal, wanted, utility)
    buffer = BytesIO()  # a month's report is a few hundred rows at most
    write_xlsx(reports, buffer)
    name = file_name(str(wanted), utility.value if utility else None)
    return Response(
        buffer.getvalue(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
