"""The credit file's read use cases, shared by the API and the console: search (subjects and
accounts), the credit file with its bills, payments and incidents pages, and the live rating
with its explanation, overrides, history and next-change date, and the record an explanation
points at. The credit file and search hits carry the subject's current designations (held or
unknown), read from the latest complete run of each policy, as stored with the run. The queries
are ``customers``' (``pages.py``, ``subjects.py``); the dashboard statistics are
``rating.service``'s.

Tenancy and masking are applied here, once. Personal data (natural persons' ID numbers and
names, legal representatives, phone numbers) is masked unless the caller asks for it in clear
and holds ``view_unmasked``; every such view is audited. A natural person is named in URLs and
links by an opaque reference (``id-<n>``, see :func:`utilcredit.identifiers.subject_ref`), and
readers without ``view_unmasked`` find natural persons only by their whole ID number or name.

They sit above ``customers`` because they write the audit log and read overrides and rating
runs. Each takes the caller's ``Connection``; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import Connection

from utilcredit.access import audit_trail
from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.access.visibility import (
    require_utility_read,
    subject_utilities,
    visible_subject,
)
from utilcredit.config import ConsoleSettings
from utilcredit.creditfile.model import CreditFileView, RatingView, subject_card
from utilcredit.customers import pages, reminder_pages, subjects
from utilcredit.customers.model import Utility
from utilcredit.customers.pages import (
    AccountHit,
    BillLine,
    IncidentLine,
    PaymentLine,
    SubjectHit,
)
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.identifiers import (
    DEFAULT_MASKING,
    IdentifierError,
    MaskingRule,
    display_code,
    mask_id_number,
    mask_name,
    parse_subject_ref,
    validate_ric,
)
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import effective_level, next_change_on
from utilcredit.paging import Page
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.service import policy_at
from utilcredit.rating import service as rating
from utilcredit.rating.explain import explain_dict, explain_text
from utilcredit.rating.runs import reads as runs
from utilcredit.rating.runs.model import CurrentDesignation

HISTORY_LIMIT = 50  # level changes shown with a live rating


@dataclass(frozen=True, slots=True)
class SearchHit(SubjectHit):
    """A subject found by a search, with its current designations (held or unknown) in the
    latest complete runs of the policies of the utilities the reader sees."""

    designations: tuple[CurrentDesignation, ...] = ()


def resolve_subject(connection: Connection, principal: Principal, ref: str) -> str:
    """The code a path segment names: ``id-<n>`` (parsed before any upper-casing) or a code.

    A reference to a subject the principal does not see is "not found" (audited), with a
    message that names the reference, never the number behind it.
    """
    subject_id = parse_subject_ref(ref)
    if subject_id is None:
        return ref.strip().upper()
    found = subjects.subject_by_id(connection, subject_id)
    message = f"没有该主体：{ref} / no subject {ref}"
    if found is None:
        raise NotFoundError(message)
    known = subject_utilities(connection, found.code)
    if known is None or not known[1] & principal.readable_utilities:
        raise NotVisibleError(message, entity="subject", entity_key=found.code)
    return found.code


def subject_ref_of(connection: Connection, code: str) -> str:
    """What links name the subject with this code by (the code itself if it is unknown)."""
    found = subjects.subject_by_code(connection, code)
    return code if found is None else found.ref


def mask_hit(hit: SubjectHit, rule: MaskingRule) -> SubjectHit:
    if hit.kind != "natural":
        return hit
    return replace(hit, code=mask_id_number(hit.code, rule), name=mask_name(hit.name))


def search_subjects(
    connection: Connection,
    principal: Principal,
    query: str,
    *,
    offset: int,
    limit: int,
    rule: MaskingRule,
) -> Page[SearchHit]:
    """Subjects by code, name or account number (see ``customers.pages``), each with its
    current designations."""
    require(principal, Permission.READ, entity="subject")
    found = pages.search_subjects(
        connection,
        query,
        principal.readable_utilities,
        offset=offset,
        limit=limit,
        personal_partial=principal.can(Permission.VIEW_UNMASKED),
    )
    if not principal.can(Permission.VIEW_UNMASKED):
        audit_personal_number_search(connection, principal, query, found.items, rule)
    readable = {u.value for u in principal.readable_utilities}
    designations = runs.current_designations(connection, [hit.id for hit in found.items], readable)
    hits = [
        SearchHit(**asdict(mask_hit(hit, rule)), designations=tuple(designations.get(hit.id, ())))
        for hit in found.items
    ]
    return Page(hits, found.offset, found.limit, found.has_more)


def audit_personal_number_search(
    connection: Connection,
    principal: Principal,
    query: str,
    hits: list[SubjectHit],
    rule: MaskingRule,
) -> None:
    """Audit a search for a whole resident ID number by a reader who sees numbers masked,
    found or not: the mask (SPEC 3.6) keeps the check character, so a few dozen exact guesses
    could confirm a masked birth date, and the log is where such probing shows."""
    try:
        number = validate_ric(query)
    except IdentifierError:
        return  # no stored number fails the check: such a query finds nobody
    found = any(hit.code == number for hit in hits)
    audit_trail.record(
        connection,
        actor=principal.username,
        action="search_personal_number",
        entity="subject",
        # A found subject is named as every entry names it (shown as its reference to
        # readers without view_unmasked); a miss names nobody, so only its mask is kept.
        entity_key=number if found else mask_id_number(number, rule),
        detail={"found": found},
    )


def mask_account_hit(hit: AccountHit, rule: MaskingRule) -> AccountHit:
    if hit.subject_kind != "natural":
        return hit
    return replace(
        hit,
        subject_code=mask_id_number(hit.subject_code, rule),
        subject_name=mask_name(hit.subject_name),
        address=None,
    )


def search_accounts(
    connection: Connection,
    principal: Principal,
    query: str,
    *,
    offset: int,
    limit: int,
    rule: MaskingRule,
) -> Page[AccountHit]:
    require(principal, Permission.READ, entity="account")
    found = pages.search_accounts(
        connection, query, principal.readable_utilities, offset=offset, limit=limit
    )
    return replace(found, items=[mask_account_hit(hit, rule) for hit in found.items])


def credit_file(
    connection: Connection,
    principal: Principal,
    code: str,
    *,
    unmasked: bool,
    rule: MaskingRule,
) -> CreditFileView:
    require(principal, Permission.READ, entity="subject")
    subject_id, utilities = visible_subject(connection, principal, code)
    if unmasked:
        require(principal, Permission.VIEW_UNMASKED, entity="subject")
        audit_trail.record(
            connection,
            actor=principal.username,
            action="view_unmasked",
            entity="subject",
            entity_key=code,
            utilities=utilities,
        )
    row = subjects.subject_detail(connection, subject_id)
    card = subject_card(row, unmasked=unmasked, rule=rule)
    visible_overrides = [
        o if o.subject_code == card.code else replace(o, subject_code=card.code)
        for o in overrides.overrides_of_subject(connection, subject_id)
        if policy_at(o.policy_key, None).policy.utility in utilities
    ]
    designations = runs.current_designations(connection, [subject_id], {u.value for u in utilities})
    return CreditFileView(
        subject=card,
        utilities=tuple(sorted(u.value for u in utilities)),
        accounts=pages.accounts_of(connection, subject_id, utilities),
        credit_reports=pages.credit_reports_of(connection, subject_id),
        reminders=pages.reminders_of(connection, subject_id, utilities),
        overrides=visible_overrides,
        designations=designations.get(subject_id, []),
    )


def _visible_for_tables(
    connection: Connection, principal: Principal, code: str
) -> tuple[int, frozenset[Utility]]:
    require(principal, Permission.READ, entity="subject")
    return visible_subject(connection, principal, code)


def bills(
    connection: Connection, principal: Principal, code: str, *, offset: int, limit: int
) -> Page[BillLine]:
    subject_id, utilities = _visible_for_tables(connection, principal, code)
    return pages.bills_of(connection, subject_id, utilities, offset=offset, limit=limit)


def payments(
    connection: Connection, principal: Principal, code: str, *, offset: int, limit: int
) -> Page[PaymentLine]:
    subject_id, utilities = _visible_for_tables(connection, principal, code)
    return pages.payments_of(connection, subject_id, utilities, offset=offset, limit=limit)


def incidents(
    connection: Connection, principal: Principal, code: str, *, offset: int, limit: int
) -> Page[IncidentLine]:
    subject_id, utilities = _visible_for_tables(connection, principal, code)
    return pages.incidents_of(connection, subject_id, utilities, offset=offset, limit=limit)


def reminders(
    connection: Connection, principal: Principal, code: str, *, offset: int, limit: int
) -> Page[reminder_pages.ReminderPageLine]:
    """The reminders (催告) on the subject's accounts of the reader's utilities, newest first."""
    subject_id, utilities = _visible_for_tables(connection, principal, code)
    return reminder_pages.reminders_page(
        connection, subject_id, utilities, offset=offset, limit=limit
    )


def evidence(
    connection: Connection,
    principal: Principal,
    code: str,
    kind: str,
    ref: str,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """One record an explanation points at (bill with its payments, incident, account, report),
    among the subject's accounts of the reader's utilities."""
    subject_id, utilities = _visible_for_tables(connection, principal, code)
    record = pages.evidence_record(connection, subject_id, utilities, kind, ref, on)
    if record is None:
        raise NotFoundError(f"没有该证据记录：{ref} / no evidence record {ref}")
    account_no = record["row"].get("account_no") if kind in ("bill", "incident") else None
    if account_no is not None:
        # The utility of the record's account: a bill's usage is in m³ or kWh by it.
        accounts = pages.accounts_of(connection, subject_id, utilities)
        utility = next((a.utility for a in accounts if a.account_no == account_no), None)
        record = {**record, "utility": utility}
    return record


def choose_policy(
    utilities: frozenset[Utility],
    policy_key: str | None,
    as_of: dt.date,
    console: ConsoleSettings,
) -> LoadedPolicy:
    """The policy asked for, or the configured one of the first visible utility (water first)."""
    if policy_key:
        return policy_at(policy_key, as_of)
    for utility in sorted(utilities):
        key = console.default_policies.get(utility.value)
        if key:
            return policy_at(key, as_of)
    raise FieldInvalidError("policy", "请指定评级政策 / name a policy")


def rate_live(
    connection: Connection,
    principal: Principal,
    code: str,
    *,
    policy_key: str | None,
    as_of: dt.date,
    console: ConsoleSettings,
    rule: MaskingRule = DEFAULT_MASKING,
) -> RatingView:
    """The level computed now from the stored credit file, with its explanation, the override
    in force beside it, the saved history (with the clauses that moved) and the next-change
    date, as ``utilcredit explain`` and ``utilcredit runs history`` give them. A natural
    person's number appears masked (subject, explanation, overrides, messages) to a reader
    without ``view_unmasked``."""
    require(principal, Permission.READ, entity="rating")
    subject_id, utilities = visible_subject(connection, principal, code)
    shown = code
    if not principal.can(Permission.VIEW_UNMASKED):
        found = subjects.subject_by_id(connection, subject_id)
        if found is not None:
            shown = display_code(code, found.kind, clear=False, rule=rule)
    loaded = choose_policy(utilities, policy_key, as_of, console)
    require_utility_read(principal, loaded.policy.utility, entity="rating", key=code)
    try:
        evaluation, change = rating.explain_subject(connection, code, loaded.policy, as_of)
    except NotFoundError as error:
        if shown == code:
            raise
        raise NotFoundError(str(error).replace(code, shown)) from None
    subject_overrides = overrides.overrides_of_subject(connection, subject_id, loaded.key)
    explanation = explain_dict(evaluation, loaded.policy)
    text = explain_text(evaluation, loaded.policy, all_clauses=False)
    if shown != code:
        explanation = _replace_text(explanation, code, shown)
        text = text.replace(code, shown)
        subject_overrides = [replace(o, subject_code=shown) for o in subject_overrides]
    level = effective_level(evaluation.level, subject_overrides, as_of)
    return RatingView(
        subject_code=shown,
        policy=loaded,
        as_of=as_of,
        level=level,
        explanation=explanation,
        text=text,
        history=runs.recent_levels(connection, code, loaded.key, HISTORY_LIMIT),
        next_change=next_change_on(change.on, level),  # an override's end counts too
        overrides=subject_overrides,
    )


def _replace_text(value: Any, old: str, new: str) -> Any:
    """``value`` (JSON-like) with ``old`` replaced by ``new`` in every string in it."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {key: _replace_text(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_text(item, old, new) for item in value]
    return value
