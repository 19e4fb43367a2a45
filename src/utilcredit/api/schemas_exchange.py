"""Bodies of the exchange API: exports as submission batches, their files, and the platform's
checks of an uploaded file (issue 13 item 7).

The output schemas take their fields from the domain records (:func:`fields_of`): a batch's
fields are written once, in ``exchange/model.py``. The batch's folder (a path on the server)
is not the API's to say; its files are downloaded by role.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from utilcredit.api.schemas import Out, PageMeta, UtcDateTime, fields_of
from utilcredit.audit.repository import decode_utilities
from utilcredit.customers.model import Utility
from utilcredit.exchange import submission
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.model import (
    Batch,
    BatchFile,
    CheckPurpose,
    CheckUse,
    CreditCheck,
    Encoding,
    ErrorRate,
    ExportFormat,
    Problem,
    ReturnedRow,
)
from utilcredit.http.params import NO_NUL

KINDS = ", ".join(kind.key for kind in ZHANJIANG_2022.kinds)


def _utilities(value: Any) -> Any:
    """Stored ``",power,water,"`` → ``["power", "water"]``."""
    return list(decode_utilities(value)) if isinstance(value, str) else value


def _listed(value: Any) -> Any:
    """One utility may be given as a string: ``"power"`` is ``["power"]``."""
    return [value] if isinstance(value, str) else value


@fields_of(BatchFile)
class BatchFileOut(Out):
    role: str = Field(description="data | keys（每行的来源记录） | invalid（校验报告）")


@fields_of(Batch, leave_out=("folder",))
class BatchOut(Out):
    utilities: Annotated[list[Utility], BeforeValidator(_utilities)]
    since: UtcDateTime | None = Field(description="增量窗口起点 / window start (incremental)")
    until: UtcDateTime = Field(description="窗口终点 / where the window of changes ends")
    files: list[BatchFileOut]
    created_at: UtcDateTime
    sent_at: UtcDateTime | None
    answered_at: UtcDateTime | None
    status_zh: str = Field(description="状态（中文） / the status in Chinese")
    error_rate_permille: int | None = Field(
        description="错误率：每千行退回行数（平台答复前为空） / rows returned per thousand "
        "answered (none before the platform answers)"
    )
    error_rate: str = Field(description="错误率，如 2.50%（未答复为 —） / as a percentage")
    file_urls: dict[str, str] = Field(description="role → download URL")


def batch_out(batch: Batch) -> BatchOut:
    rate = submission.batch_rate(batch)
    return BatchOut.model_validate(
        {
            **{name: getattr(batch, name) for name in Batch.__dataclass_fields__},
            "status_zh": batch.status_zh,
            "error_rate_permille": rate.rate_permille,
            "error_rate": rate.rate_text,
            "file_urls": {
                str(f["role"]): f"/api/batches/{batch.id}/files/{f['role']}" for f in batch.files
            },
        }
    )


@fields_of(Problem)
class ProblemOut(Out):
    row: int = Field(description="数据行号（从 1 起） / data row, from 1")


class ExportOut(BatchOut):
    problems: list[ProblemOut] = Field(
        description="未通过校验的行的问题（最多 200 条，全部见 invalid 文件） / the first "
        "problems of rows left out (all of them: the invalid file)"
    )


class BatchPage(PageMeta):
    items: list[BatchOut]


class ExportRequestIn(BaseModel):
    catalog: str = Field(
        default=ZHANJIANG_2022.key, max_length=32, pattern=NO_NUL, description="信用信息目录"
    )
    kind: str = Field(min_length=1, max_length=32, pattern=NO_NUL, description="信息类: " + KINDS)
    since_last: bool = Field(
        default=False, description="增量：上次已接收批次之后的变化 / changes since the last taken"
    )
    format: ExportFormat = ExportFormat.CSV
    encoding: Encoding = Field(default=Encoding.UTF8_BOM, description="CSV 编码 / CSV encoding")
    utility: Annotated[list[Utility], BeforeValidator(_listed)] = Field(
        default=[],
        max_length=len(Utility),
        description="行业（默认：本人所属的全部） / utilities (default: all of the user's own)",
    )
    as_of: dt.date | None = Field(default=None, description="认定日期（默认今天） / as-of day")


class ValidationOut(Out):
    catalog: str
    kind: str
    title: str
    rows: int
    invalid_rows: int
    problems: list[ProblemOut]
    more: bool = Field(description="还有更多问题未列出 / more problems than listed")


# ---- the platform's answer, credit checks ----------------------------------------------------


@fields_of(ReturnedRow)
class ReturnedRowOut(Out):
    corrected_at: UtcDateTime | None
    created_at: UtcDateTime
    status_zh: str


def returned_out(row: ReturnedRow) -> ReturnedRowOut:
    return ReturnedRowOut.model_validate(
        {
            **{name: getattr(row, name) for name in ReturnedRow.__dataclass_fields__},
            "status_zh": row.status_zh,
        }
    )


class ReturnsOut(Out):
    batch: BatchOut
    errors: int = Field(description="退回文件中的错误条数 / error lines stored")
    rows: int = Field(description="被退回的数据行数 / distinct data rows returned")


@fields_of(CreditCheck)
class CreditCheckOut(Out):
    requested_at: UtcDateTime
    used_at: UtcDateTime | None
    purpose_zh: str


def check_out(found: CreditCheck) -> CreditCheckOut:
    return CreditCheckOut.model_validate(
        {
            **{name: getattr(found, name) for name in CreditCheck.__dataclass_fields__},
            "purpose_zh": found.purpose_zh,
        }
    )


class CheckPage(PageMeta):
    items: list[CreditCheckOut]


class CheckUseIn(BaseModel):
    used_for: CheckUse
    note: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


PURPOSES = ", ".join(p.value for p in CheckPurpose)


class CorrectionIn(BaseModel):
    note: str = Field(
        max_length=500, pattern=NO_NUL, description="更正说明（必填） / what was corrected"
    )


class ErrorRateOut(Out):
    label: str = Field(description="月份或信息类 / the month, or a kind within it")
    batches: int
    rows_sent: int
    rows_returned: int
    pending: int = Field(description="已报送未答复的行 / rows sent, not answered yet")
    rate_permille: int | None = Field(description="每千行退回行数 / returned per thousand")
    rate: str = Field(description="错误率，如 2.50%（无答复为 —） / as a percentage")


class ErrorCodeOut(Out):
    code: str
    rows: int


class MonthErrorsOut(Out):
    month: str
    total: ErrorRateOut
    by_kind: list[ErrorRateOut]
    codes: list[ErrorCodeOut] = Field(description="退回最多的错误代码 / error codes, most first")


def _rate_out(rate: ErrorRate) -> ErrorRateOut:
    return ErrorRateOut(
        label=rate.label,
        batches=rate.batches,
        rows_sent=rate.rows_sent,
        rows_returned=rate.rows_returned,
        pending=rate.pending,
        rate_permille=rate.rate_permille,
        rate=rate.rate_text,
    )


def month_errors_out(found: submission.MonthErrors) -> MonthErrorsOut:
    return MonthErrorsOut(
        month=found.month,
        total=_rate_out(found.total),
        by_kind=[_rate_out(k) for k in found.by_kind],
        codes=[ErrorCodeOut(code=code, rows=rows) for code, rows in found.codes],
    )
