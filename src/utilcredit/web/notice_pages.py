"""What the notice pages share (通知): their words in both languages, the page renderer with the
labels and local times, and a notice as the console lists it (masked, with what the reader may
do with it now).

The pages themselves: ``web/notices.py`` (the queue and one notice), ``web/print_batches.py``
(the print batches of letters) and ``web/subject_notices.py`` (a subject's notices and
preferences on its credit file page). Contacts are masked on every page, whoever reads them
(the credit file page does the same by default): an operator who corrects an address types
the new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.config import Settings
from utilcredit.http.params import masking
from utilcredit.identifiers import subject_ref
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import service as notices
from utilcredit.notices.model import (
    CHANNEL_LABELS,
    KIND_LABELS,
    NOTICE_MACHINE,
    NOTICE_STATUS_LABELS,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
)
from utilcredit.notices.repository import NoticeFilter, NoticeLine
from utilcredit.web.counter import writes
from utilcredit.web.rendering import render, value_labels

PAGE = 20

# What a finished form says (``?done=<key>``: only these keys are shown).
DONE = frozenset({"resend", "cancel", "reach", "miss", "batch", "printed", "posted"})

# ---- the words, Chinese from the model, English beside them -----------------------------------

STATUS_EN = {
    NoticeStatus.QUEUED: "Queued",
    NoticeStatus.SENDING: "Sending",
    NoticeStatus.SENT: "Sent",
    NoticeStatus.DELIVERED: "Delivered",
    NoticeStatus.FAILED: "Failed",
    NoticeStatus.DEAD: "Dead letter (to handle)",
    NoticeStatus.BATCHED: "In a print batch",
    NoticeStatus.CANCELLED: "Cancelled",
}
CHANNEL_EN = {
    NoticeChannel.SMS: "SMS",
    NoticeChannel.WECHAT: "WeChat",
    NoticeChannel.EMAIL: "E-mail",
    NoticeChannel.CALL: "Phone call",
    NoticeChannel.LETTER: "Letter",
}
KIND_EN = {
    NoticeKind.REMINDER: "Credit level reminder",
    NoticeKind.NOTICE_LETTER: "Written notice letter",
    NoticeKind.LETTER_POINTER: "Letter announcement",
    NoticeKind.RESTORED: "Level restored",
    NoticeKind.DEMAND: "Payment demand",
    NoticeKind.COMMITMENT_DUE: "Commitment reminder",
}
ACTION_EN = {
    "claim": "Taken to send",
    "accept": "Accepted by the gateway",
    "retry": "Retry later",
    "reject": "Sending failed",
    "give_up": "Tries used up",
    "interrupt": "Sending interrupted",
    "deliver": "Delivered",
    "bounce": "Bounced",
    "batch": "Put in a print batch",
    "post": "Posted",
    "reach": "Told by phone",
    "miss": "Not reached by phone",
    "resend": "Resend",
    "cancel": "Cancel",
}
STATUS_COLOURS = {
    NoticeStatus.QUEUED.value: "#5f6b7d",
    NoticeStatus.SENDING.value: "#2b6cb0",
    NoticeStatus.SENT.value: "#2b6cb0",
    NoticeStatus.DELIVERED.value: "#2f855a",
    NoticeStatus.FAILED.value: "#c53030",
    NoticeStatus.DEAD.value: "#9b2c2c",
    NoticeStatus.BATCHED.value: "#b7531a",
    NoticeStatus.CANCELLED.value: "#4a5568",
}
BATCH_ZH = {"created": "待打印", "printed": "已打印", "posted": "已寄出"}
BATCH_EN = {"created": "To print", "printed": "Printed", "posted": "Posted"}
_LABELS: dict[str, tuple[Mapping[Any, str], Mapping[Any, str]]] = {
    "status": (NOTICE_STATUS_LABELS, STATUS_EN),
    "channel": (CHANNEL_LABELS, CHANNEL_EN),
    "kind": (KIND_LABELS, KIND_EN),
    "action": (NOTICE_MACHINE.action_labels, ACTION_EN),
    "batch": (BATCH_ZH, BATCH_EN),
}


def local(moment: dt.datetime | None) -> str:
    """A stored (UTC) time as people read it: Asia/Shanghai, to the minute."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def notice_words(request: Request) -> dict[str, Any]:
    """What every template showing notices uses: ``nl`` (stored values in the page's language:
    ``nl('status', 'dead')``), ``local`` (times) and ``status_colours``."""
    return {"nl": value_labels(request, _LABELS), "local": local, "status_colours": STATUS_COLOURS}


def render_page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return render(request, name, {**context, **notice_words(request)}, status_code=status_code)


# ---- what a reader is shown -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """A notice as the console lists it: masked, with its subject's link and what the reader
    may do with it now."""

    n: NoticeLine
    ref: str
    actions: tuple[str, ...]


def _actions(notice: NoticeLine, principal: Principal) -> tuple[str, ...]:
    if not writes(principal, Permission.FILE_CASE, notice.utility):
        return ()
    found = NOTICE_MACHINE.actions_from(NOTICE_MACHINE.state(notice.status))
    steps = ["resend", "cancel"]
    if notice.channel == NoticeChannel.CALL.value:
        steps += ["reach", "miss"]
    return tuple(a for a in steps if a in found)


def row(notice: NoticeLine, principal: Principal, settings: Settings) -> Row:
    return Row(
        notices.masked(notice, masking(settings)),
        subject_ref(notice.subject_id, notice.subject_code, notice.subject_kind),
        _actions(notice, principal),
    )


def listed(
    connection: Connection,
    principal: Principal,
    settings: Settings,
    f: NoticeFilter,
    limit: int,
    offset: int = 0,
) -> tuple[list[Row], bool]:
    """A page of the notices the filter finds, as rows, and whether more follow."""
    page = notices.list_notices(
        connection, principal, f, rule=masking(settings), offset=offset, limit=limit
    )
    return [row(n, principal, settings) for n in page.items], page.has_more
