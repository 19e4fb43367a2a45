"""Planning notices: which notices an event makes, by its policy's ``notices:`` rules.

A notice is written in the transaction of the event that caused it (the run, the override
decision, the daily demand planning, the commitment calendar), so it exists exactly when the
event does; its key makes it once, however often the event is planned. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Principal, readable
from utilcredit.config import NoticeSettings, get_settings
from utilcredit.customers.model import UTILITY_ZH, Utility
from utilcredit.documents.model import zh_date
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import queue, repository, sources
from utilcredit.notices.model import (
    QUIET_CHANNELS,
    Draft,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    QuietHours,
    demand_due,
    fill,
    level_change_notices,
    messages_for,
    yuan,
)
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.notices import NoticeRules
from utilcredit.policies.model.policy import Policy
from utilcredit.policies.service import policy_at, policy_version
from utilcredit.rating.runs import reads as runs
from utilcredit.rating.runs.model import RunHeader
from utilcredit.workdays import service as workdays

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


def due_at_for(channel: NoticeChannel, now: dt.datetime, quiet: QuietHours) -> dt.datetime:
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
                due_at_for(draft.channel, now, sending.quiet),
            )
        )
    return planned


def _row(p: Planned, now: dt.datetime) -> dict[str, object]:
    """A planned notice as the outbox stores it: queued, never tried."""
    return {
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


def _report(planned: Sequence[Planned], new_keys: Collection[str], unreachable: int) -> PlanReport:
    fresh = [p for p in planned if p.draft.key in new_keys]
    return PlanReport(fresh, len(planned) - len(fresh), unreachable)


def _write(
    connection: Connection, planned: Sequence[Planned], now: dt.datetime, unreachable: int = 0
) -> PlanReport:
    """The new ones of ``planned`` into the outbox (a key planned before is left alone)."""
    written = queue.insert_notices(connection, [_row(p, now) for p in planned])
    return _report(planned, written, unreachable)


def _preview(connection: Connection, planned: Sequence[Planned], unreachable: int) -> PlanReport:
    """What :func:`_write` would report, nothing stored."""
    keys = {p.draft.key for p in planned}
    return _report(planned, keys - queue.existing_keys(connection, keys), unreachable)


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
    changes = [c for c in sources.level_changes(connection, run_id) if c.to_level in wanted]
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
        return _preview(connection, planned, unreachable)
    return _write(connection, planned, now, unreachable)


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
        for a in sources.overdue_accounts(
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
    return _write(connection, planned, now, unreachable)


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


def preview_run(
    connection: Connection,
    principal: Principal | None,
    run_id: int,
    *,
    sending: Sending,
    now: dt.datetime | None = None,
) -> PlanReport:
    """What a run would send, for a reader of its utility: nothing is stored."""
    message = f"没有该评级运行：{run_id} / no rating run {run_id}"
    header = runs.get_run(connection, run_id)
    if Utility(header.utility) not in readable(principal):
        raise NotVisibleError(message, entity="rating_run", entity_key=str(run_id))
    return plan_run(connection, run_id, sending=sending, now=now, write=False)
