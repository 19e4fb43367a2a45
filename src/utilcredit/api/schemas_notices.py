"""Bodies of the notices API: the outbox (SMS, WeChat, e-mail, phone-call tasks, letters and
payment demands), its history, print batches of letters, a run's preview, subjects' contacts
and opt-outs, and the gateways' delivery receipts.

The output schemas take their fields from the domain records (:func:`fields_of`), so a field
is written once, in ``notices/repository.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from utilcredit.api.schemas import SUBJECT_REF, Out, PageMeta, fields_of
from utilcredit.customers.model import Utility
from utilcredit.http.params import NO_NUL
from utilcredit.notices.repository import AttemptLine, BatchLine, NoticeLine, Preference

MASKED = (
    "联系方式与自然人证件号码对无 view_unmasked 权限的用户脱敏 / contacts and natural "
    "persons' ID numbers masked for readers without view_unmasked"
)

# ---- notices --------------------------------------------------------------------------------


@fields_of(NoticeLine)
class NoticeOut(Out):
    recipient: str | None = Field(description="手机号、邮箱、openid 或邮寄地址 · " + MASKED)
    subject_code: str = Field(description=MASKED)
    subject_ref: str = Field(description=SUBJECT_REF)
    kind_zh: str
    channel_zh: str
    status_zh: str


class NoticePage(PageMeta):
    items: list[NoticeOut]


@fields_of(AttemptLine)
class AttemptOut(Out):
    action_zh: str


class NoticeDetailOut(Out):
    notice: NoticeOut
    attempts: list[AttemptOut] = Field(
        description="每次发送尝试与人工操作 / every step, oldest first"
    )
    next_actions: list[str] = Field(
        description="操作员现在可做的操作 / what an operator may do now (resend, cancel, reach, miss)"
    )


class QueueCountOut(Out):
    status: str
    channel: str
    count: int


class QueueSummaryOut(Out):
    total: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    counts: list[QueueCountOut] = Field(description="(状态, 渠道) 组合计数 / by status and channel")


class ResendRequest(BaseModel):
    recipient: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=NO_NUL,
        description="更正后的联系方式（省略则按原地址重发） / a corrected address",
    )


class CancelRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class CallRequest(BaseModel):
    reached: bool = Field(description="true：已告知；false：未接通 / told, or not reached")
    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


# ---- a run's preview ------------------------------------------------------------------------


class PlannedOut(Out):
    key: str
    kind: str
    channel: str
    subject_id: int
    subject_name: str | None
    recipient: str | None = Field(description="脱敏 / masked")
    title: str | None
    body: str | None = Field(description="短信/微信/邮件正文；函件在打印时生成 / none for a letter")
    due_at: dt.datetime


class PreviewOut(PageMeta):
    run_id: int
    new: int = Field(description="将新入队的通知数 / notices the run would queue")
    already_planned: int = Field(description="此前已入队（不再发送） / queued before, not again")
    unreachable: int = Field(description="无法联系的主体数 / subjects no channel reaches")
    by_kind_channel: dict[str, int] = Field(description="kind/channel → count")
    items: list[PlannedOut]


# ---- print batches --------------------------------------------------------------------------


@fields_of(BatchLine)
class BatchOut(Out):
    pass


class BatchPage(PageMeta):
    items: list[BatchOut]


class BatchDetailOut(Out):
    batch: BatchOut
    notices: list[NoticeOut] = Field(
        description="批次内函件（打印顺序） / its letters in print order"
    )


class BatchRequest(BaseModel):
    utility: Utility
    limit: int = Field(default=500, ge=1, le=5000, description="最多编入的函件数 / letters at most")


class MarkRequest(BaseModel):
    state: Literal["printed", "posted"] = Field(
        description="printed：已打印；posted：已寄出（批内函件成为已发送） / posted sends its letters"
    )


# ---- contacts and opt-outs ------------------------------------------------------------------


@fields_of(Preference)
class PreferenceOut(Out):
    address: str | None = Field(description=MASKED)


class PreferencesOut(Out):
    subject_ref: str = Field(description=SUBJECT_REF)
    preferences: list[PreferenceOut] = Field(
        description="登记的联系方式与退订（未列出的渠道使用信用档案中的电话与地址） / recorded "
        "contacts and opt-outs (other channels use the credit file's phone and address)"
    )


class ContactRequest(BaseModel):
    address: str | None = Field(
        max_length=300,
        pattern=NO_NUL,
        description="联系方式；null 删除（恢复使用信用档案） / null forgets it",
    )


class OptOutRequest(BaseModel):
    opted_out: bool = Field(description="true 退订，false 恢复接收 / opt out, or back in")
    reason: str | None = Field(default=None, max_length=300, pattern=NO_NUL)


# ---- delivery receipts (the gateways) -------------------------------------------------------


class ReceiptIn(BaseModel):
    key: str = Field(
        min_length=1, max_length=160, pattern=NO_NUL, description="通知键 / notice key"
    )
    status: Literal["delivered", "failed"]
    detail: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


class ReceiptsRequest(BaseModel):
    receipts: list[ReceiptIn] = Field(min_length=1, max_length=1000)


class ReceiptsOut(Out):
    results: dict[str, Literal["delivered", "failed", "unknown", "ignored"]] = Field(
        description="每个键的结果：delivered、failed、unknown（无此键）、ignored（非已发送状态，"
        "如重复回执） / per key: delivered, failed, unknown key, ignored (not in sent)"
    )
