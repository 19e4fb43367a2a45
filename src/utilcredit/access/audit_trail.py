"""The audit trail where it meets users (use cases; nothing here commits).

* :func:`record` appends an entry that concerns the utilities it is given or, by default, its
  actor's memberships (plus the target user's for an entry about a user, so a failed login of a
  water user concerns water): the entries of logins, user administration, imports and searches.
* :func:`audit_log` is the trail as a reader may see it: scoped to the reader's utilities, and
  without a natural person's ID number for readers without ``view_unmasked``.

The trail itself (``audit/``) knows nothing of users, so these sit in ``access``, above it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from utilcredit.access import repository as users
from utilcredit.access.model import Permission, Principal, require
from utilcredit.audit import repository
from utilcredit.audit.repository import AuditFilter, AuditLine
from utilcredit.customers import subjects
from utilcredit.customers.model import Utility
from utilcredit.identifiers import (
    IdentifierError,
    MaskingRule,
    mask_id_number,
    parse_subject_ref,
    validate_ric,
)
from utilcredit.paging import Page

# Runs of letters and digits that may be an ID number (every kind of ID number has a digit).
_ID_LIKE = re.compile(r"[0-9A-Za-z]{5,32}")


def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    utilities: Iterable[Utility | str] | None = None,
) -> None:
    """Append an audit entry in the caller's transaction (it lands or vanishes with the change).

    ``utilities``: what the entry concerns; ``None`` derives it from the actor (and, for an
    entry about a user, that user), an empty collection means none.
    """
    if utilities is None:
        names = [actor, entity_key or ""] if entity == "user" else [actor]
        utilities = users.users_utilities(connection, names)
    repository.record(
        connection,
        actor=actor,
        action=action,
        entity=entity,
        entity_key=entity_key,
        reason=reason,
        detail=detail,
        utilities=utilities,
    )


def audit_log(
    connection: Connection,
    principal: Principal,
    *,
    actor: str | None,
    action: str | None,
    entity_key: str | None,
    offset: int,
    limit: int,
    rule: MaskingRule,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Page[AuditLine]:
    """The audit trail as this reader may see it.

    Only the entries that concern one of the reader's utilities, unless the reader reads every
    utility (then all of them, also those that concern none). Without ``view_unmasked`` a
    natural person's ID number never appears: where an entry names the subject (``entity_key``
    or a detail value) it is replaced by the subject's reference ``id-<n>``, which the
    ``entity_key`` filter also accepts; inside texts it is masked. Numbers that validate as
    resident ID numbers but belong to no known organisation are masked too.
    """
    scope = _scope(principal)
    page = repository.audit_entries(
        connection,
        actor=actor,
        action=action,
        entity_key=_stored_key(connection, entity_key),
        offset=offset,
        limit=limit,
        utilities=scope,
        since=since,
        until=until,
    )
    if principal.can(Permission.VIEW_UNMASKED) or not page.items:
        return page
    return Page(_scrubbed(connection, page.items, rule), page.offset, page.limit, page.has_more)


def audit_lines(
    connection: Connection,
    principal: Principal,
    wanted: AuditFilter,
    *,
    rule: MaskingRule,
    batch: int = 1000,
) -> Iterator[AuditLine]:
    """Every entry of the trail ``wanted`` selects as this reader may see it (scoped and
    masked as :func:`audit_log`), newest first, read ``batch`` at a time: for an export of
    any length. Consume it inside the transaction."""
    scope = _scope(principal)
    stored = replace(wanted, entity_key=_stored_key(connection, wanted.entity_key))
    unmasked = principal.can(Permission.VIEW_UNMASKED)
    for lines in repository.audit_batches(connection, stored, utilities=scope, batch=batch):
        yield from lines if unmasked else _scrubbed(connection, lines, rule)


def audit_actions(connection: Connection, principal: Principal) -> list[str]:
    """The actions in the part of the trail this reader may see: the choices of a filter."""
    return repository.actions(connection, _scope(principal))


def last_logins(connection: Connection, usernames: Iterable[str]) -> dict[str, dt.datetime]:
    """Each user's latest successful login, from the trail (users never logged in: absent)."""
    return repository.last_logins(connection, usernames)


def _scope(principal: Principal) -> frozenset[Utility] | None:
    """The utilities whose entries the reader sees; ``None``: every entry, those of none too."""
    require(principal, Permission.READ_AUDIT, entity="audit")
    readable = principal.readable_utilities
    return None if readable >= frozenset(Utility) else readable


def _stored_key(connection: Connection, entity_key: str | None) -> str | None:
    """A subject's reference ``id-<n>`` as the code the trail stores; other keys as given."""
    if entity_key is not None and (subject_id := parse_subject_ref(entity_key)) is not None:
        found = subjects.subject_by_id(connection, subject_id)
        return found.code if found is not None else entity_key
    return entity_key


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def _is_resident_id(token: str) -> bool:
    try:
        validate_ric(token)
    except IdentifierError:
        return False
    return True


def _scrubbed(connection: Connection, lines: list[AuditLine], rule: MaskingRule) -> list[AuditLine]:
    tokens: set[str] = set()
    for line in lines:
        for text in [line.actor, line.entity_key, line.reason, *_texts(line.detail)]:
            if text:
                tokens.update(
                    t.upper() for t in _ID_LIKE.findall(text) if any(c.isdigit() for c in t)
                )
    if not tokens:
        return lines
    known = subjects.subjects_by_codes(connection, tokens)
    refs: dict[str, str] = {}  # a natural person's number → its reference
    masked: dict[str, str] = {}  # a personal number → its masked form
    for token in tokens:
        subject = known.get(token)
        if subject is not None and subject.kind == "natural":
            refs[token] = subject.ref
            masked[token] = mask_id_number(token, rule)
        elif subject is None and _is_resident_id(token):
            masked[token] = mask_id_number(token, rule)
    if not masked:
        return lines

    def in_text(text: str) -> str:
        return _ID_LIKE.sub(lambda m: masked.get(m.group(0).upper(), m.group(0)), text)

    def value(item: Any) -> Any:
        if isinstance(item, str):
            return refs.get(item.strip().upper()) or in_text(item)
        if isinstance(item, dict):
            return {key: value(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [value(inner) for inner in item]
        return item

    return [
        replace(
            line,
            actor=in_text(line.actor),
            entity_key=None if line.entity_key is None else value(line.entity_key),
            reason=None if line.reason is None else in_text(line.reason),
            detail=None if line.detail is None else value(line.detail),
        )
        for line in lines
    ]
