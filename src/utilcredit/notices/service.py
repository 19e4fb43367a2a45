"""What operators do with notices once they are planned (resend, cancel, record a call's
outcome, collect and mark print batches), the gateways' delivery receipts, and reading the
outbox masked. Every step goes through :mod:`utilcredit.notices.steps`. Nothing here commits.

Who may do what (:mod:`utilcredit.notices.permissions`): everybody who reads a utility sees its
notices, masked; operators (``file_case``) act on those of the utilities they may write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import (
    NotVisibleError,
    Permission,
    Principal,
    actor_name,
    readable,
    require,
)
from utilcredit.audit import repository as audit
from utilcredit.customers.model import UTILITY_ZH, Utility
from utilcredit.errors import ConflictError, FieldInvalidError, NotFoundError
from utilcredit.identifiers import MaskingRule, display_code, mask_name
from utilcredit.notices import repository
from utilcredit.notices.model import NoticeChannel, NoticeStatus, address_problem, mask_recipient
from utilcredit.notices.permissions import require_write, utility_of
from utilcredit.notices.planning import Sending, due_at_for, utcnow
from utilcredit.notices.repository import AttemptLine, BatchLine, NoticeFilter, NoticeLine
from utilcredit.notices.steps import move, write_reminders
from utilcredit.paging import Page
from utilcredit.workflow import TransitionRefusedError

# --------------------------------------------------------------------------------------------
# What operators do
# --------------------------------------------------------------------------------------------


def visible_notice(
    connection: Connection, principal: Principal | None, notice_id: int
) -> NoticeLine:
    notice = repository.get_notice(connection, notice_id)
    if notice is None or Utility(notice.utility) not in readable(principal):
        raise NotVisibleError(f"没有该通知：{notice_id} / no notice {notice_id}", entity="notice")
    return notice


def _one(
    connection: Connection,
    principal: Principal | None,
    notice_id: int,
    action: str,
    *,
    now: dt.datetime | None = None,
    values: Mapping[str, Any] | None = None,
    detail: str | None = None,
) -> NoticeLine:
    notice = visible_notice(connection, principal, notice_id)
    require_write(principal, notice.utility)
    now = now or utcnow()
    moved = move(
        connection,
        [notice],
        action,
        actor=actor_name(principal),
        now=now,
        values=values,
        detail=detail,
        audited=True,
    )
    if not moved:
        raise ConflictError(f"通知 {notice_id} 已被他人处理，请刷新 / notice {notice_id} changed")
    found = repository.get_notice(connection, notice_id)
    assert found is not None
    return found


def resend(
    connection: Connection,
    principal: Principal | None,
    notice_id: int,
    *,
    recipient: str | None = None,
    now: dt.datetime | None = None,
) -> NoticeLine:
    """A failed or dead-lettered notice back in the queue (to a corrected address, if given)."""
    now = now or utcnow()
    notice = visible_notice(connection, principal, notice_id)
    due = due_at_for(NoticeChannel(notice.channel), now, Sending.of().quiet)
    values: dict[str, Any] = {"due_at": due, "attempts": 0, "last_error": None, "claim": None}
    if recipient is not None:
        problem = address_problem(NoticeChannel(notice.channel), recipient)
        if problem:
            raise FieldInvalidError("recipient", problem)
        values["recipient"] = recipient
    return _one(connection, principal, notice_id, "resend", now=now, values=values)


def cancel(
    connection: Connection, principal: Principal | None, notice_id: int, reason: str
) -> NoticeLine:
    if not reason.strip():
        raise FieldInvalidError("reason", "取消通知须说明原因 / a reason is required")
    return _one(connection, principal, notice_id, "cancel", detail=reason)


def record_call(
    connection: Connection,
    principal: Principal | None,
    notice_id: int,
    *,
    reached: bool,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> NoticeLine:
    """The outcome of a phone-call task: the customer was told, or could not be reached."""
    now = now or utcnow()
    notice = visible_notice(connection, principal, notice_id)
    if notice.channel != NoticeChannel.CALL.value:
        raise FieldInvalidError("notice", f"通知 {notice_id} 不是电话任务 / not a phone-call task")
    values: dict[str, Any] = (
        {"sent_at": now, "delivered_at": now} if reached else {"last_error": note or "未接通"}
    )
    done = _one(
        connection,
        principal,
        notice_id,
        "reach" if reached else "miss",
        now=now,
        values=values,
        detail=note,
    )
    if reached:
        write_reminders(connection, [done], now)
    return done


@dataclass(frozen=True, slots=True)
class Receipt:
    """A gateway's delivery report for one message it accepted (by the notice's key)."""

    key: str
    delivered: bool
    detail: str | None = None


def record_receipts(
    connection: Connection, receipts: Sequence[Receipt], *, now: dt.datetime | None = None
) -> dict[str, str]:
    """Delivery reports: a sent notice becomes ``delivered`` or ``failed`` (bounced). Returns
    per key what happened (``delivered``, ``failed``, ``unknown`` key, ``ignored``: not in
    ``sent``, e.g. a report repeated)."""
    now = now or utcnow()
    found = repository.notices_by_key(connection, [r.key for r in receipts])
    result: dict[str, str] = {}
    for receipt in receipts:
        notice = found.get(receipt.key)
        if receipt.key in result:  # the same key twice in one post: the first report decides
            continue
        if notice is None:
            result[receipt.key] = "unknown"
            continue
        if notice.status != NoticeStatus.SENT.value:
            result[receipt.key] = "ignored"
            continue
        values: dict[str, Any] = (
            {"delivered_at": now} if receipt.delivered else {"last_error": receipt.detail}
        )
        action = "deliver" if receipt.delivered else "bounce"
        moved = move(
            connection,
            [notice],
            action,
            actor="gateway",
            now=now,
            values=values,
            detail=receipt.detail,
        )
        result[receipt.key] = (
            ("delivered" if receipt.delivered else "failed") if moved else "ignored"
        )
    return result


# ---- print batches -------------------------------------------------------------------------


def create_print_batch(
    connection: Connection,
    principal: Principal | None,
    utility: str,
    *,
    limit: int = 500,
    now: dt.datetime | None = None,
) -> BatchLine:
    """Collect the queued letters of a utility into a print batch."""
    utility_of(utility)
    require_write(principal, utility, ("print_batch", "打印批次"))
    now = now or utcnow()
    ids = repository.queued_letter_ids(connection, utility, limit)
    if not ids:
        raise NotFoundError(f"没有待打印的{UTILITY_ZH[utility]}函件 / no letters to print")
    batch_id = repository.insert_batch(
        connection,
        utility=utility,
        status="created",
        letters=0,
        created_by=actor_name(principal),
        created_at=now,
    )
    moved = move(
        connection,
        [(i, NoticeStatus.QUEUED.value) for i in ids],
        "batch",
        actor=actor_name(principal),
        now=now,
        values={"batch_id": batch_id},
        detail=f"print batch {batch_id}",
    )
    repository.set_batch(connection, batch_id, expected="created", letters=len(moved))
    audit.record(
        connection,
        actor=actor_name(principal),
        action="print_batch_create",
        entity="print_batch",
        entity_key=str(batch_id),
        detail={"letters": len(moved)},
        utilities=[utility],
    )
    batch = repository.get_batch(connection, batch_id)
    assert batch is not None
    return batch


BATCH_STEPS = {"printed": ("created", "printed"), "posted": ("printed", "posted")}


def visible_batch(connection: Connection, principal: Principal | None, batch_id: int) -> BatchLine:
    batch = repository.get_batch(connection, batch_id)
    if batch is None or Utility(batch.utility) not in readable(principal):
        raise NotVisibleError(f"没有该打印批次：{batch_id} / no print batch {batch_id}")
    return batch


def mark_batch(
    connection: Connection,
    principal: Principal | None,
    batch_id: int,
    step: str,
    *,
    now: dt.datetime | None = None,
) -> BatchLine:
    """An operator marks a batch printed, then posted; posting sends its letters (and makes
    the demands among them reminders of the credit file, dated the posting day)."""
    now = now or utcnow()
    batch = visible_batch(connection, principal, batch_id)
    require_write(principal, batch.utility, ("print_batch", "打印批次"))
    if step not in BATCH_STEPS:
        raise FieldInvalidError("step", "只能标记为 printed 或 posted / printed or posted")
    expected, target = BATCH_STEPS[step]
    if batch.status != expected:
        raise TransitionRefusedError(
            f"打印批次 {batch_id} 当前为「{batch.status}」，不能标记为「{target}」 / "
            f"print batch {batch_id} is {batch.status}"
        )
    who = actor_name(principal)
    if not repository.set_batch(
        connection,
        batch_id,
        expected=expected,
        status=target,
        **{f"{target}_by": who, f"{target}_at": now},
    ):
        raise ConflictError(f"打印批次 {batch_id} 已被他人处理 / print batch changed meanwhile")
    if target == "posted":
        letters = repository.iter_notices(
            connection, NoticeFilter(utilities=[batch.utility], batch_id=batch_id)
        )
        batched = [n for n in letters if n.status == NoticeStatus.BATCHED.value]
        move(connection, batched, "post", actor=who, now=now, values={"sent_at": now})
        write_reminders(connection, batched, now)
    audit.record(
        connection,
        actor=who,
        action=f"print_batch_{target}",
        entity="print_batch",
        entity_key=str(batch_id),
        detail={"letters": batch.letters},
        utilities=[batch.utility],
    )
    found = repository.get_batch(connection, batch_id)
    assert found is not None
    return found


def batch_notices(
    connection: Connection, principal: Principal | None, batch_id: int
) -> list[NoticeLine]:
    """The letters of a print batch, in print order (contacts in clear: they go on envelopes)."""
    batch = visible_batch(connection, principal, batch_id)
    return list(
        repository.iter_notices(
            connection, NoticeFilter(utilities=[batch.utility], batch_id=batch_id)
        )
    )


def list_batches(
    connection: Connection, principal: Principal | None, offset: int = 0, limit: int = 50
) -> Page[BatchLine]:
    return repository.list_batches(
        connection, [u.value for u in readable(principal)], offset, limit
    )


# --------------------------------------------------------------------------------------------
# Reading, masked
# --------------------------------------------------------------------------------------------


def masked(notice: NoticeLine, rule: MaskingRule) -> NoticeLine:
    """The notice with its contact, a natural person's ID number and name masked."""
    natural = notice.subject_kind != "legal"
    return replace(
        notice,
        recipient=mask_recipient(notice.channel, notice.recipient),
        subject_code=display_code(notice.subject_code, notice.subject_kind, clear=False, rule=rule),
        subject_name=mask_name(notice.subject_name) if natural else notice.subject_name,
    )


def shown(
    connection: Connection,
    notice: NoticeLine,
    principal: Principal | None,
    rule: MaskingRule,
    *,
    unmasked: bool = False,
) -> NoticeLine:
    """The notice as an operator sees it: masked, unless ``unmasked`` is asked for by a reader
    who holds ``view_unmasked`` — then in clear, and the view is audited (the command line,
    ``principal`` None, decides for itself)."""
    if not unmasked:
        return masked(notice, rule)
    if principal is None:
        return notice
    require(principal, Permission.VIEW_UNMASKED, entity="notice")
    audit.record(
        connection,
        actor=principal.username,
        action="notice_view_unmasked",
        entity="notice",
        entity_key=str(notice.id),
        utilities=[notice.utility],
    )
    return notice


def list_notices(
    connection: Connection,
    principal: Principal | None,
    f: NoticeFilter,
    *,
    rule: MaskingRule,
    offset: int = 0,
    limit: int = 50,
) -> Page[NoticeLine]:
    """A page of the notices the reader may see, masked (every list an operator sees is)."""
    visible = {u.value for u in readable(principal)}
    wanted = visible if not f.utilities else visible & set(f.utilities)
    page = repository.list_notices(connection, replace(f, utilities=wanted), offset, limit)
    return replace(page, items=[masked(n, rule) for n in page.items])


def notice_detail(
    connection: Connection,
    principal: Principal | None,
    notice_id: int,
    *,
    rule: MaskingRule,
    unmasked: bool = False,
) -> tuple[NoticeLine, list[AttemptLine]]:
    notice = visible_notice(connection, principal, notice_id)
    shown_notice = shown(connection, notice, principal, rule, unmasked=unmasked)
    return shown_notice, repository.attempts_of(connection, notice_id)


def queue_counts(connection: Connection, principal: Principal | None) -> dict[tuple[str, str], int]:
    return repository.count_by_status(connection, [u.value for u in readable(principal)])
