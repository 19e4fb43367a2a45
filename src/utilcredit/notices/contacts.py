"""Where subjects want notices (contacts beyond the credit file's phone and address) and the
channels they opted out of (never the legally required letter). Nothing here commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

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
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.notices import repository
from utilcredit.notices.model import NoticeChannel, address_problem, mask_recipient
from utilcredit.notices.permissions import channel_of
from utilcredit.notices.planning import utcnow


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
    kind = channel_of(channel)
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
            updated_by=actor_name(principal),
            updated_at=now or utcnow(),
        )
    audit.record(
        connection,
        actor=actor_name(principal),
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
    kind = channel_of(channel)
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
            recorded_by=actor_name(principal),
            recorded_at=now or utcnow(),
        )
    else:
        repository.remove_opt_out(connection, subject_id, kind.value)
    audit.record(
        connection,
        actor=actor_name(principal),
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
    visible = {u.value for u in readable(principal)}
    if found is None or not visible & set(found[1]):
        raise NotVisibleError(f"没有该主体：{code} / no subject {code}", entity="subject")
    return [
        replace(p, address=mask_recipient(p.channel, p.address))
        for p in repository.preferences(connection, found[0])
    ]
