"""Notice use cases: planning notices from events into the outbox, and what operators do with
them. Nothing here commits: a notice is written in the transaction of the event that caused it
(the run, the override decision, the daily demand planning), so it exists exactly when the
event does; its key makes it once, however often the event is planned.

Who may do what: everybody who reads a utility sees its notices (contacts masked unless they
hold ``view_unmasked``); operators (``file_case``) resend, cancel, record calls, print and post
letters and record contacts and opt-outs. ``principal`` None is the system itself.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.audit import repository as audit
from utilcredit.config import NoticeSettings, get_settings
from utilcredit.customers.model import Utility
from utilcredit.errors import ConflictError, FieldInvalidError, NotFoundError
from utilcredit.identifiers import MaskingRule, display_code, mask_phone
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import repository
from utilcredit.notices.model import (
    CHANNEL_LABELS,
    NOTICE_MACHINE,
    QUIET_CHANNELS,
    Draft,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    QuietHours,
    address_problem,
    demand_due,
    fill,
    level_change_notices,
    messages_for,
    yuan,
)
from utilcredit.notices.repository import AttemptLine, BatchLine, NoticeFilter, NoticeLine
from utilcredit.paging import Page
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model import Level, NoticeRules, Policy
from utilcredit.policies.service import policy_at, policy_version
from utilcredit.rating.runs import service as runs
from utilcredit.rating.runs.model import RunHeader
from utilcredit.workdays import service as workdays
from utilcredit.workflow import TransitionRefusedError

SYSTEM = "system"
UTILITY_ZH = {"water": "供水", "power": "供电"}
USAGE_ZH = {"water": "用水", "power": "用电"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """A notice as it will be written (and as ``notices plan`` shows it)."""

    draft: Draft
    utility: str
    policy_key: str
    source: str
    source_id: int | None
    run_id: int | None
    title: str | None
    body: str | None
    due_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What planning found: notices new to the outbox, and those planned before (not again)."""

    planned: list[Planned] = field(default_factory=list)
    already: int = 0
    unreachable: int = 0  # subjects a rule asked to tell but no channel reaches

    def tally(self) -> Counter[tuple[str, str]]:
        return Counter((p.draft.kind.value, p.draft.channel.value) for p in self.planned)


@dataclass(frozen=True, slots=True)
class Sending:
    """The people's rules of sending that planning applies: quiet hours (Asia/Shanghai)."""

    quiet: QuietHours

    @classmethod
    def of(cls, settings: NoticeSettings | None = None) -> Sending:
        settings = settings or get_settings().notices
        return cls(QuietHours(settings.quiet_start, settings.quiet_end))


def _due_at(channel: NoticeChannel, now: dt.datetime, quiet: QuietHours) -> dt.datetime:
    if channel not in QUIET_CHANNELS:
        return now
    return quiet.next_allowed(now.astimezone(SHANGHAI)).astimezone(dt.UTC)


def _rendered(
    rules: NoticeRules, draft: Draft, variables: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """Title and body of a message; a letter is written when it is printed, a call task
    reads the SMS text to the customer when the policy gives no script of its own."""
    if draft.kind is NoticeKind.NOTICE_LETTER:
        return None, None
    template = rules.template(draft.kind, draft.channel)
    if template is None and draft.channel is NoticeChannel.CALL:
        template = rules.template(draft.kind, NoticeChannel.SMS)
    if template is None:
        return None, f"请电话告知：{variables.get('subject_name', '')}"
    title = fill(template.title, variables) if template.title else None
    return title, fill(template, variables)


def _common(rules: NoticeRules, utility: str, today: dt.date) -> dict[str, str]:
    return {
        "sender": rules.sender,
        "hotline": rules.hotline,
        "office": rules.office,
        "utility_zh": UTILITY_ZH.get(utility, utility),
        "usage_zh": USAGE_ZH.get(utility, utility),
        "today": zh_date(today),
    }


def _level_dates(
    connection: Connection, rules: NoticeRules, as_of: dt.date, today: dt.date
) -> dict[str, str]:
    """The rating date and the reply deadline (in working days from today), written for
    people and kept as ISO dates for the letter printed later."""
    reply_by = workdays.deadline(connection, today, rules.reply_working_days)
    return {
        "as_of": zh_date(as_of),
        "reply_by": zh_date(reply_by),
        "as_of_iso": as_of.isoformat(),
        "reply_by_iso": reply_by.isoformat(),
    }


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _planned(
    rules: NoticeRules,
    drafts: Iterable[Draft],
    *,
    policy: Policy,
    source: str,
    source_id: int | None,
    run_id: int | None,
    now: dt.datetime,
    sending: Sending,
) -> list[Planned]:
    planned = []
    for draft in drafts:
        title, body = _rendered(rules, draft, draft.variables)
        planned.append(
            Planned(
                draft,
                policy.utility.value,
                policy.key,
                source,
                source_id,
                run_id,
                title,
                body,
                _due_at(draft.channel, now, sending.quiet),
            )
        )
    return planned


def _write(connection: Connection, planned: Sequence[Planned], now: dt.datetime) -> PlanReport:
    """The new ones of ``planned`` into the outbox (a key planned before is skipped)."""
    taken = repository.existing_keys(connection, [p.draft.key for p in planned])
    fresh = [p for p in planned if p.draft.key not in taken]
    repository.insert_notices(
        connection,
        [
            {
                "key": p.draft.key,
                "kind": p.draft.kind.value,
                "channel": p.draft.channel.value,
                "status": NoticeStatus.QUEUED.value,
                "utility": p.utility,
                "policy_key": p.policy_key,
                "subject_id": p.draft.subject_id,
                "account_id": p.draft.account_id,
                "recipient": p.draft.recipient,
                "source": p.source,
                "source_id": p.source_id,
                "run_id": p.run_id,
                "variables": dict(p.draft.variables),
                "title": p.title,
                "body": p.body,
                "due_at": p.due_at,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for p in fresh
        ],
    )
    return PlanReport(fresh, already=len(planned) - len(fresh))


def _run_policy(connection: Connection, run_id: int) -> tuple[RunHeader, LoadedPolicy]:
    header = runs.get_run(connection, run_id)
    loaded = policy_version(header.policy_key, header.policy_version) or policy_at(
        header.policy_key, header.as_of
    )
    return header, loaded


def _level_zh(value: str | None) -> str:
    return Level(value).label_zh if value else "未评级"


def plan_run(
    connection: Connection,
    run_id: int,
    *,
    sending: Sending,
    now: dt.datetime | None = None,
    write: bool = True,
) -> PlanReport:
    """The notices of a complete run's level changes, by its policy's ``notices:`` rules;
    written to the outbox unless ``write`` is False (``notices plan``: nothing stored)."""
    now = now or utcnow()
    header, loaded = _run_policy(connection, run_id)
    rules = loaded.policy.notices
    if rules is None or header.status.value != "complete":
        return PlanReport()
    wanted = {r.level.value for r in rules.levels}
    changes = [c for c in repository.level_changes(connection, run_id) if c.to_level in wanted]
    if not changes:
        return PlanReport()
    today = local_day(now)
    contacts = repository.contacts(connection, {c.subject_id for c in changes})
    base = (
        _common(rules, header.utility, today)
        | _level_dates(connection, rules, header.as_of, today)
        | {"policy_title": loaded.policy.title}
    )
    drafts: list[Draft] = []
    unreachable = 0
    for change in changes:
        contact = contacts[change.subject_id]
        variables = base | {
            "subject_name": contact.name,
            "level_zh": _level_zh(change.to_level),
            "previous_level_zh": _level_zh(change.from_level),
            "notice_no": f"XY{header.as_of:%Y%m%d}-{change.id:07d}",
        }
        assert change.to_level is not None
        found = level_change_notices(
            rules, f"change:{change.id}", (change.from_level, change.to_level), contact, variables
        )
        unreachable += not found
        drafts += found
    planned = _planned(
        rules,
        drafts,
        policy=loaded.policy,
        source="run",
        source_id=run_id,
        run_id=run_id,
        now=now,
        sending=sending,
    )
    if not write:
        taken = repository.existing_keys(connection, [p.draft.key for p in planned])
        fresh = [p for p in planned if p.draft.key not in taken]
        return PlanReport(fresh, len(planned) - len(fresh), unreachable)
    return replace(_write(connection, planned, now), unreachable=unreachable)


def plan_override(
    connection: Connection,
    *,
    override_id: int,
    subject_code: str,
    policy_key: str,
    level: str,
    previous: str | None,
    sending: Sending,
    now: dt.datetime | None = None,
) -> PlanReport:
    """An approved manual level is a level change of its own: told like one."""
    now = now or utcnow()
    loaded = policy_at(policy_key, None)
    rules = loaded.policy.notices
    if rules is None or level == previous:
        return PlanReport()
    today = local_day(now)
    subject_id = repository.subject_id_of(connection, subject_code)
    if subject_id is None:
        return PlanReport()
    contact = repository.contacts(connection, [subject_id])[subject_id]
    current = runs.current_run(connection, policy_key)
    variables = _common(rules, loaded.policy.utility.value, today) | {
        "subject_name": contact.name,
        "level_zh": _level_zh(level),
        "previous_level_zh": _level_zh(previous),
        **_level_dates(connection, rules, today, today),
        "policy_title": loaded.policy.title,
        "notice_no": f"RG{today:%Y%m%d}-{override_id:07d}",
    }
    drafts = level_change_notices(
        rules, f"override:{override_id}", (previous, level), contact, variables
    )
    planned = _planned(
        rules,
        drafts,
        policy=loaded.policy,
        source="override",
        source_id=override_id,
        run_id=current.id if current else None,
        now=now,
        sending=sending,
    )
    return _write(connection, planned, now)


def plan_demands(
    connection: Connection,
    policy_key: str,
    *,
    sending: Sending,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    write: bool = True,
) -> PlanReport:
    """Payment demands (催告) for the accounts the policy's ``demand`` rule says are due one
    today. Planned once per account and day; no new one within the repeat interval of the
    last (imported or sent) demand or while one is on its way."""
    now = now or utcnow()
    today = today or local_day(now)
    loaded = policy_at(policy_key, today)
    rules = loaded.policy.notices
    if rules is None or rules.demand is None:
        return PlanReport()
    rule = rules.demand
    utility = loaded.policy.utility.value
    accounts = [
        a
        for a in repository.overdue_accounts(
            connection, utility, today, today - dt.timedelta(days=rule.days_after_due)
        )
        if demand_due(rules, a, today)
    ]
    contacts = repository.contacts(connection, {a.subject_id for a in accounts})
    base = _common(rules, utility, today)
    drafts: list[Draft] = []
    unreachable = 0
    for account in accounts:
        contact = contacts[account.subject_id]
        variables = base | {
            "subject_name": contact.name,
            "account_no": account.account_no,
            "amount_yuan": yuan(account.owed_fen),
            "bill_count": str(account.bill_count),
            "oldest_due_on": zh_date(account.oldest_due_on),
            "days_overdue": str((today - account.oldest_due_on).days),
            "pay_by": zh_date(today + dt.timedelta(days=rule.pay_within_days)),
            "notice_no": f"CG{today:%Y%m%d}-{account.account_id:07d}",
        }
        found = messages_for(
            f"demand:{account.account_id}:{today.isoformat()}",
            NoticeKind.DEMAND,
            rule.channels,
            contact,
            variables,
            call_when_unreachable=False,
            account_id=account.account_id,
        )
        if not found and NoticeChannel.LETTER in rule.channels and contact.postal:
            found = [
                Draft(
                    f"demand:{account.account_id}:{today.isoformat()}:letter",
                    NoticeKind.DEMAND,
                    NoticeChannel.LETTER,
                    contact.subject_id,
                    contact.postal,
                    variables,
                    account.account_id,
                )
            ]
        unreachable += not found
        drafts += found
    planned = _planned(
        rules,
        drafts,
        policy=loaded.policy,
        source="demand",
        source_id=None,
        run_id=None,
        now=now,
        sending=sending,
    )
    if not write:
        return PlanReport(planned, 0, unreachable)
    return replace(_write(connection, planned, now), unreachable=unreachable)


def plan_commitment_due(
    connection: Connection,
    *,
    policy_key: str,
    obligation_id: int,
    subject_id: int,
    commitment_code: str,
    commitment_title: str,
    obligation: str,
    due_on: dt.date,
    sending: Sending,
    now: dt.datetime | None = None,
) -> PlanReport:
    """A commitment's obligation falls due soon: the committer is reminded (湛江 附件3)."""
    now = now or utcnow()
    loaded = policy_at(policy_key, None)
    rules = loaded.policy.notices
    if rules is None or not rules.commitment_channels:
        return PlanReport()
    contact = repository.contacts(connection, [subject_id])[subject_id]
    variables = _common(rules, loaded.policy.utility.value, local_day(now)) | {
        "subject_name": contact.name,
        "commitment_code": commitment_code,
        "commitment_title": commitment_title,
        "obligation": obligation,
        "due_on": zh_date(due_on),
        "notice_no": f"CN-{commitment_code}-{obligation_id}",
    }
    drafts = messages_for(
        f"obligation:{obligation_id}:{due_on.isoformat()}",
        NoticeKind.COMMITMENT_DUE,
        rules.commitment_channels,
        contact,
        variables,
        call_when_unreachable=True,
    )
    planned = _planned(
        rules,
        drafts,
        policy=loaded.policy,
        source="commitment",
        source_id=obligation_id,
        run_id=None,
        now=now,
        sending=sending,
    )
    return _write(connection, planned, now)


# --------------------------------------------------------------------------------------------
# Moving notices: the one function every step goes through
# --------------------------------------------------------------------------------------------


def move(
    connection: Connection,
    notices: Sequence[NoticeLine] | Sequence[tuple[int, str]],
    action: str,
    *,
    actor: str,
    now: dt.datetime,
    values: Mapping[str, Any] | None = None,
    detail: str | None = None,
    claim_token: str | None = None,
    audited: bool = False,
) -> list[int]:
    """Take ``action`` on notices: the machine allows it from their status or refuses it
    (nothing changes then), the new status is written with a compare-and-set, and each step
    is kept as an attempt row (and an audit entry when an operator took it). Returns the ids
    that moved; one that moved meanwhile is left out (a conflict for a single notice)."""
    by_status: dict[str, list[int]] = {}
    utilities: dict[int, str] = {}
    for notice in notices:
        notice_id, status = (notice.id, notice.status) if isinstance(notice, NoticeLine) else notice
        by_status.setdefault(status, []).append(notice_id)
        if isinstance(notice, NoticeLine):
            utilities[notice.id] = notice.utility
    moved: list[int] = []
    attempts: list[dict[str, Any]] = []
    for status, ids in by_status.items():
        target = NOTICE_MACHINE.target(NOTICE_MACHINE.state(status), action)
        done = repository.set_status(
            connection,
            ids,
            expected=status,
            values={"status": target.value, "updated_at": now, **(values or {})},
            claim_token=claim_token,
        )
        moved += done
        attempts += [
            {
                "notice_id": notice_id,
                "action": action,
                "from_status": status,
                "to_status": target.value,
                "at": now,
                "actor": actor,
                "detail": detail,
                "provider_ref": None,
            }
            for notice_id in done
        ]
    repository.insert_attempts(connection, attempts)
    if audited and moved:
        audit.record_many(
            connection,
            [
                {
                    "actor": actor,
                    "action": f"notice_{action}",
                    "entity": "notice",
                    "entity_key": str(notice_id),
                    "reason": detail,
                    "detail": {"action": action},
                    "utilities": [utilities.get(notice_id, "")] if notice_id in utilities else [],
                }
                for notice_id in moved
            ],
        )
    return moved


# --------------------------------------------------------------------------------------------
# What operators do
# --------------------------------------------------------------------------------------------


def _name(principal: Principal | None) -> str:
    return SYSTEM if principal is None else principal.username


def _readable(principal: Principal | None) -> frozenset[Utility]:
    return frozenset(Utility) if principal is None else principal.readable_utilities


def _may_write(principal: Principal | None, utility: str) -> None:
    if principal is None:
        return
    require(principal, Permission.FILE_CASE, entity="notice")
    if not principal.may_write_utility(Utility(utility)):
        raise NotVisibleError("没有该通知 / no such notice", entity="notice")


def visible_notice(
    connection: Connection, principal: Principal | None, notice_id: int
) -> NoticeLine:
    notice = repository.get_notice(connection, notice_id)
    if notice is None or Utility(notice.utility) not in _readable(principal):
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
    _may_write(principal, notice.utility)
    now = now or utcnow()
    moved = move(
        connection,
        [notice],
        action,
        actor=_name(principal),
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
    values: dict[str, Any] = {"due_at": now, "attempts": 0, "last_error": None, "claim": None}
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


def write_reminders(
    connection: Connection, notices: Sequence[NoticeLine], now: dt.datetime
) -> None:
    """Demands that reached the customer, as reminders (催告) of the credit file: the records'
    derivation counts "still unpaid N months after a demand" from them."""
    demands = [
        n
        for n in notices
        if n.kind == NoticeKind.DEMAND.value and n.account_id and n.reminder_id is None
    ]
    if not demands:
        return
    numbers = [n.variables.get("notice_no") or f"N{n.id}" for n in demands]
    rows = [
        {
            "reminder_no": number,
            "account_id": n.account_id,
            "sent_on": local_day(now),
            "channel": n.channel,
            "created_at": now,
            "updated_at": now,
        }
        for n, number in zip(demands, numbers, strict=True)
    ]
    ids = repository.insert_reminders(connection, rows)
    repository.set_each(
        connection,
        [
            {"b_id": n.id, "reminder_id": ids[number]}
            for n, number in zip(demands, numbers, strict=True)
        ],
    )


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
    _may_write(principal, utility)
    now = now or utcnow()
    ids = repository.queued_letter_ids(connection, utility, limit)
    if not ids:
        raise NotFoundError(f"没有待打印的{UTILITY_ZH[utility]}函件 / no letters to print")
    batch_id = repository.insert_batch(
        connection,
        utility=utility,
        status="created",
        letters=0,
        created_by=_name(principal),
        created_at=now,
    )
    moved = move(
        connection,
        [(i, NoticeStatus.QUEUED.value) for i in ids],
        "batch",
        actor=_name(principal),
        now=now,
        values={"batch_id": batch_id},
        detail=f"print batch {batch_id}",
    )
    repository.set_batch(connection, batch_id, expected="created", letters=len(moved))
    audit.record(
        connection,
        actor=_name(principal),
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
    if batch is None or Utility(batch.utility) not in _readable(principal):
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
    _may_write(principal, batch.utility)
    if step not in BATCH_STEPS:
        raise FieldInvalidError("step", "只能标记为 printed 或 posted / printed or posted")
    expected, target = BATCH_STEPS[step]
    if batch.status != expected:
        raise TransitionRefusedError(
            f"打印批次 {batch_id} 当前为「{batch.status}」，不能标记为「{target}」 / "
            f"print batch {batch_id} is {batch.status}"
        )
    who = _name(principal)
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
        connection, [u.value for u in _readable(principal)], offset, limit
    )


# ---- contacts and opt-outs -----------------------------------------------------------------


def subject_for_notices(
    connection: Connection, principal: Principal | None, code: str
) -> tuple[int, str]:
    """The subject's id and a utility of it the principal may write (its contacts serve
    every utility it is a customer of)."""
    found = repository.subject_utilities(connection, code)
    if found is None:
        raise NotFoundError(f"没有该主体：{code} / no subject {code}")
    subject_id, utilities = found
    if principal is None:
        return subject_id, utilities[0] if utilities else Utility.WATER.value
    require(principal, Permission.FILE_CASE, entity="subject")
    for utility in utilities:
        if principal.may_write_utility(Utility(utility)):
            return subject_id, utility
    raise NotVisibleError(f"没有该主体：{code} / no subject {code}", entity="subject")


def set_contact(
    connection: Connection,
    principal: Principal | None,
    code: str,
    channel: str,
    address: str | None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Record where a subject wants notices on a channel (``address`` None: forget it, the
    credit file's phone and address serve again)."""
    subject_id, utility = subject_for_notices(connection, principal, code)
    kind = _channel(channel)
    if address is None:
        repository.remove_contact(connection, subject_id, kind.value)
    else:
        problem = address_problem(kind, address.strip())
        if problem:
            raise FieldInvalidError("address", problem)
        repository.set_contact(
            connection,
            subject_id=subject_id,
            channel=kind.value,
            address=address.strip(),
            updated_by=_name(principal),
            updated_at=now or utcnow(),
        )
    audit.record(
        connection,
        actor=_name(principal),
        action="notice_contact_set" if address else "notice_contact_remove",
        entity="subject",
        entity_key=code,
        detail={"channel": kind.value},
        utilities=[utility],
    )


def set_opt_out(
    connection: Connection,
    principal: Principal | None,
    code: str,
    channel: str,
    *,
    opted_out: bool,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """A subject's wish for no notices on a channel (never for the legally required letter)."""
    subject_id, utility = subject_for_notices(connection, principal, code)
    kind = _channel(channel)
    if kind is NoticeChannel.LETTER:
        raise FieldInvalidError(
            "channel",
            "书面告知函为规定告知方式，不能退订 / the notice letter cannot be opted out of",
        )
    if opted_out:
        repository.set_opt_out(
            connection,
            subject_id=subject_id,
            channel=kind.value,
            reason=reason,
            recorded_by=_name(principal),
            recorded_at=now or utcnow(),
        )
    else:
        repository.remove_opt_out(connection, subject_id, kind.value)
    audit.record(
        connection,
        actor=_name(principal),
        action="notice_opt_out" if opted_out else "notice_opt_in",
        entity="subject",
        entity_key=code,
        reason=reason,
        detail={"channel": kind.value},
        utilities=[utility],
    )


def preferences(
    connection: Connection, principal: Principal | None, code: str
) -> list[repository.Preference]:
    found = repository.subject_utilities(connection, code)
    readable = {u.value for u in _readable(principal)}
    if found is None or not readable & set(found[1]):
        raise NotVisibleError(f"没有该主体：{code} / no subject {code}", entity="subject")
    return repository.preferences(connection, found[0])


def _channel(value: str) -> NoticeChannel:
    try:
        return NoticeChannel(value)
    except ValueError:
        raise FieldInvalidError(
            "channel",
            f"渠道无效：{value}（可选：{', '.join(c.value for c in NoticeChannel)}） / "
            f"unknown channel {value}",
        ) from None


# --------------------------------------------------------------------------------------------
# Reading, masked
# --------------------------------------------------------------------------------------------


def mask_recipient(channel: str, recipient: str | None) -> str | None:
    """A contact as a list shows it: ``138****5678``, ``z***@example.cn``, ``oAbC****``."""
    if not recipient:
        return recipient
    if channel in ("sms", "call"):
        return mask_phone(recipient)
    if channel == "email" and "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if channel == "wechat":
        return f"{recipient[:4]}****"
    return recipient


def masked(notice: NoticeLine, rule: MaskingRule) -> NoticeLine:
    """The notice with its contact and a natural person's ID number masked."""
    return replace(
        notice,
        recipient=mask_recipient(notice.channel, notice.recipient),
        subject_code=display_code(notice.subject_code, notice.subject_kind, clear=False, rule=rule),
    )


def shown(notice: NoticeLine, principal: Principal | None, rule: MaskingRule) -> NoticeLine:
    """The notice as the reader may see it: masked unless the reader holds ``view_unmasked``
    (the command line, ``principal`` None, decides for itself)."""
    if principal is None or principal.can(Permission.VIEW_UNMASKED):
        return notice
    return masked(notice, rule)


def list_notices(
    connection: Connection,
    principal: Principal | None,
    f: NoticeFilter,
    *,
    rule: MaskingRule,
    offset: int = 0,
    limit: int = 50,
) -> Page[NoticeLine]:
    readable = {u.value for u in _readable(principal)}
    wanted = readable if not f.utilities else readable & set(f.utilities)
    page = repository.list_notices(connection, replace(f, utilities=wanted), offset, limit)
    return replace(page, items=[shown(n, principal, rule) for n in page.items])


def notice_detail(
    connection: Connection, principal: Principal | None, notice_id: int, *, rule: MaskingRule
) -> tuple[NoticeLine, list[AttemptLine]]:
    notice = visible_notice(connection, principal, notice_id)
    return shown(notice, principal, rule), repository.attempts_of(connection, notice_id)


def queue_counts(connection: Connection, principal: Principal | None) -> dict[tuple[str, str], int]:
    return repository.count_by_status(connection, [u.value for u in _readable(principal)])


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(NoticeChannel(channel), channel)
