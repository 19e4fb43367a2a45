"""The dispatcher: takes due notices out of the outbox and sends them through the adapters.

Each round is three short transactions around the sending, so a crash anywhere loses nothing:

1. **claim** — due queued notices (quiet hours and the daily cap already applied) become
   ``sending`` under this worker's token, with a claim that runs out after
   ``claim_seconds`` — commit;
2. **send** — batches go to the adapters, outside any transaction;
3. **record** — each outcome moves its notice (``sent``, back to ``queued`` with a backoff,
   ``failed``, or ``dead`` when the tries are used up), sent demands become reminders of the
   credit file — commit.

A worker killed between 1 and 3 leaves ``sending`` notices whose claim runs out. The next
round finds them: on an idempotent channel (the SMS and WeChat gateways take the notice's key
as an idempotency key and send a key once) they are sent again, which the gateway
acknowledges without a second message; on e-mail, where nobody de-duplicates, they go to the
dead letters marked "outcome unknown" for an operator to check and resend — never twice
automatically.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from utilcredit.config import NoticeSettings
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import queue, repository
from utilcredit.notices.adapters import Adapter
from utilcredit.notices.model import (
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    Outcome,
    Outgoing,
    address_problem,
    backoff,
)
from utilcredit.notices.planning import Sending, local_day, utcnow
from utilcredit.notices.queue import Claimed
from utilcredit.notices.steps import Step, move, move_claimed, write_reminders

WORKER = "dispatcher"
UNKNOWN_OUTCOME = "发送中断，结果不明，请核实后重发 / interrupted mid-send; outcome unknown, verify before resending"


@dataclass(slots=True)
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0  # over the daily cap: tomorrow
    recovered: int = 0  # claims of a dead worker taken back

    def add(self, other: DispatchReport) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


Clock = Callable[[], dt.datetime]


def recover(
    store: Engine, adapters: Mapping[NoticeChannel, Adapter], now: dt.datetime
) -> DispatchReport:
    """Take back the claims of workers that died mid-batch (see the module's docstring)."""
    report = DispatchReport()
    sending = NoticeStatus.SENDING.value
    with store.begin() as connection:
        for notice_id, channel, claim in queue.stale_claims(connection, now):
            adapter = adapters.get(NoticeChannel(channel))
            if adapter is not None and adapter.idempotent:
                report.recovered += len(
                    move(
                        connection,
                        [(notice_id, sending)],
                        "retry",
                        actor=WORKER,
                        now=now,
                        values={"due_at": now, "claim": None, "claimed_until": None},
                        detail="发送中断，以同一幂等键重发 / interrupted; resent under its key",
                        claim_token=claim,
                    )
                )
                continue
            report.dead += len(
                move(
                    connection,
                    [(notice_id, sending)],
                    "interrupt",
                    actor=WORKER,
                    now=now,
                    values={"claim": None, "claimed_until": None, "last_error": UNKNOWN_OUTCOME},
                    detail=UNKNOWN_OUTCOME,
                    claim_token=claim,
                )
            )
    return report


def _claim(
    store: Engine,
    adapters: Mapping[NoticeChannel, Adapter],
    settings: NoticeSettings,
    sending: Sending,
    now: dt.datetime,
    token: str,
    report: DispatchReport,
) -> list[Claimed]:
    """Claim the next due notices; those over a subject's daily cap wait for tomorrow."""
    with store.begin() as connection:
        due = queue.due(connection, now, [c.value for c in adapters], settings.batch_size)
        if not due:
            return []
        local_midnight = dt.datetime.combine(local_day(now), dt.time(), SHANGHAI)
        counts = queue.sent_since(
            connection, {subject for _, subject in due}, local_midnight.astimezone(dt.UTC)
        )
        take: list[int] = []
        later: list[int] = []
        for notice_id, subject_id in due:
            if counts.get(subject_id, 0) >= settings.daily_cap:
                later.append(notice_id)
                continue
            counts[subject_id] = counts.get(subject_id, 0) + 1
            take.append(notice_id)
        if later:
            tomorrow = sending.quiet.next_allowed(local_midnight + dt.timedelta(days=1)).astimezone(
                dt.UTC
            )
            queue.set_status(
                connection,
                later,
                expected="queued",
                values={"due_at": tomorrow, "updated_at": now},
            )
            report.deferred += len(later)
        claimed = queue.claim(
            connection, take, token, now + dt.timedelta(seconds=settings.claim_seconds), now
        )
        queue.insert_attempts(
            connection,
            [
                {
                    "notice_id": c.id,
                    "action": "claim",
                    "from_status": NoticeStatus.QUEUED.value,
                    "to_status": NoticeStatus.SENDING.value,
                    "at": now,
                    "actor": WORKER,
                    "detail": None,
                    "provider_ref": None,
                }
                for c in claimed
            ],
        )
    report.claimed += len(claimed)
    return claimed


def _send(
    adapters: Mapping[NoticeChannel, Adapter], claimed: Sequence[Claimed]
) -> list[tuple[Claimed, Outcome]]:
    """Send each claimed notice through its channel's adapter, in the adapter's batch size;
    a notice whose address cannot work fails at once with the reason (no endpoint asked)."""
    by_channel: dict[NoticeChannel, list[Claimed]] = defaultdict(list)
    results: list[tuple[Claimed, Outcome]] = []
    for row in claimed:
        channel = NoticeChannel(row.channel)
        problem = address_problem(channel, row.recipient)
        if problem is not None:
            results.append((row, Outcome(row.key, "failed", problem)))
        else:
            by_channel[channel].append(row)
    for channel, rows in by_channel.items():
        adapter = adapters[channel]
        for start in range(0, len(rows), adapter.max_batch):
            chunk = rows[start : start + adapter.max_batch]
            outcomes = adapter.send(
                [Outgoing(r.key, channel, r.recipient or "", r.body or "", r.title) for r in chunk]
            )
            results += zip(chunk, outcomes, strict=True)
    return results


def _step(
    row: Claimed, outcome: Outcome, settings: NoticeSettings, now: dt.datetime
) -> tuple[str, Step]:
    """The action an outcome takes on its notice, with the notice's own values."""
    released: dict[str, object] = {"claim": None, "claimed_until": None}
    if outcome.status == "sent":
        values = released | {
            "sent_at": now,
            "provider_ref": outcome.provider_ref,
            "last_error": None,
        }
        return "accept", Step(row.id, values, outcome.detail, outcome.provider_ref)
    values = released | {"last_error": outcome.detail}
    if outcome.status == "failed":
        return "reject", Step(row.id, values, outcome.detail)
    if row.attempts >= settings.max_attempts:
        return "give_up", Step(row.id, values, outcome.detail)
    return "retry", Step(row.id, values | {"due_at": now + backoff(row.attempts)}, outcome.detail)


_COUNTED = {"accept": "sent", "reject": "failed", "give_up": "dead", "retry": "retried"}


def _record(
    store: Engine,
    results: Sequence[tuple[Claimed, Outcome]],
    settings: NoticeSettings,
    token: str,
    now: dt.datetime,
    report: DispatchReport,
) -> None:
    """Every outcome of the round in one transaction: a few statements per kind of outcome."""
    steps: dict[str, list[Step]] = defaultdict(list)
    for row, outcome in results:
        action, step = _step(row, outcome, settings, now)
        steps[action].append(step)
    demands = {row.id for row, _ in results if row.kind == NoticeKind.DEMAND.value}
    with store.begin() as connection:
        for action, group in steps.items():
            moved = move_claimed(
                connection, group, action, actor=WORKER, now=now, claim_token=token
            )
            counter = _COUNTED[action]
            setattr(report, counter, getattr(report, counter) + len(moved))
            if action == "accept" and demands:
                sent_demands = [i for i in moved if i in demands]
                write_reminders(connection, repository.get_notices(connection, sent_demands), now)


def dispatch_once(
    store: Engine,
    adapters: Mapping[NoticeChannel, Adapter],
    settings: NoticeSettings,
    *,
    clock: Clock = utcnow,
    stop: Callable[[], bool] = lambda: False,
    max_rounds: int | None = None,
) -> DispatchReport:
    """Send what is due now, round after round, until nothing is due or ``stop()`` says so
    (checked between rounds: a SIGTERM lets the round in hand finish and be recorded)."""
    sending = Sending.of(settings)
    report = recover(store, adapters, clock())
    token = str(uuid.uuid4())
    rounds = 0
    while not stop() and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        now = clock()
        claimed = _claim(store, adapters, settings, sending, now, token, report)
        if not claimed:
            break
        results = _send(adapters, claimed)
        _record(store, results, settings, token, clock(), report)
    return report
