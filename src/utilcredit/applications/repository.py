"""Every query of credit-based applications and pilot zones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from utilcredit.applications.tables import ApplicationRow, PilotZoneRow
from utilcredit.customers.tables import SubjectRow
from utilcredit.paging import Page, page_of

_A = ApplicationRow
_Z = PilotZoneRow


@dataclass(frozen=True, slots=True)
class ApplicationLine:
    id: int
    subject_id: int
    subject_code: str
    subject_name: str
    subject_kind: str
    utility: str
    policy_key: str
    business: str
    address: str
    area: str | None
    park: str | None
    zone_id: int | None
    address_type: str | None
    channel: str
    documents_present: list[str]
    documents_missing: list[str]
    status: str
    applied_on: dt.date
    status_on: dt.date
    checked_on: dt.date | None
    eligible: str | None
    eligibility: dict[str, Any] | None
    commitment_id: int | None
    connected_on: dt.date | None
    reason: str | None
    created_by: str


_LINE_COLUMNS: tuple[Any, ...] = (
    _A.id,
    _A.subject_id,
    SubjectRow.code,
    SubjectRow.name,
    SubjectRow.kind,
    _A.utility,
    _A.policy_key,
    _A.business,
    _A.address,
    _A.area,
    _A.park,
    _A.zone_id,
    _A.address_type,
    _A.channel,
    _A.documents_present,
    _A.documents_missing,
    _A.status,
    _A.applied_on,
    _A.status_on,
    _A.checked_on,
    _A.eligible,
    _A.eligibility,
    _A.commitment_id,
    _A.connected_on,
    _A.reason,
    _A.created_by,
)


def _lines() -> Select[Any]:
    return select(*_LINE_COLUMNS).join(SubjectRow, SubjectRow.id == _A.subject_id)


def insert_application(connection: Connection, values: Mapping[str, Any]) -> int:
    new_id: int = connection.execute(insert(_A).values(**values).returning(_A.id)).scalar_one()
    return new_id


def get_application(connection: Connection, application_id: int) -> ApplicationLine | None:
    row = connection.execute(_lines().where(_A.id == application_id)).one_or_none()
    return None if row is None else ApplicationLine(*row)


def open_application_with_key(connection: Connection, key: str) -> int | None:
    found: int | None = connection.execute(select(_A.id).where(_A.open_key == key)).scalar()
    return found


def set_status(
    connection: Connection,
    application_id: int,
    *,
    expected: str,
    new: str,
    values: Mapping[str, Any] | None = None,
) -> bool:
    result = connection.execute(
        update(_A)
        .where(_A.id == application_id, _A.status == expected)
        .values(status=new, **(values or {}))
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class ApplicationFilter:
    utilities: frozenset[str]
    statuses: Sequence[str] = ()
    businesses: Sequence[str] = ()
    subject_id: int | None = None
    policy_key: str | None = None


def list_applications(
    connection: Connection, f: ApplicationFilter, *, offset: int, limit: int
) -> Page[ApplicationLine]:
    query = _lines().where(_A.utility.in_(sorted(f.utilities)))
    if f.statuses:
        query = query.where(_A.status.in_(list(f.statuses)))
    if f.businesses:
        query = query.where(_A.business.in_(list(f.businesses)))
    if f.subject_id is not None:
        query = query.where(_A.subject_id == f.subject_id)
    if f.policy_key is not None:
        query = query.where(_A.policy_key == f.policy_key)
    rows = connection.execute(query.order_by(_A.id.desc()).offset(offset).limit(limit + 1))
    return page_of([ApplicationLine(*row) for row in rows], offset, limit)


# ---- pilot zones ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZoneLine:
    id: int
    policy_key: str
    district: str
    park: str
    area_code: str | None
    active: bool
    note: str | None

    @property
    def label(self) -> str:
        return f"{self.district} {self.park}"


_ZONE_COLUMNS = (_Z.id, _Z.policy_key, _Z.district, _Z.park, _Z.area_code, _Z.active, _Z.note)


def zones_of(connection: Connection, policy_keys: Collection[str]) -> list[ZoneLine]:
    rows = connection.execute(
        select(*_ZONE_COLUMNS).where(_Z.policy_key.in_(sorted(policy_keys))).order_by(_Z.id)
    )
    return [ZoneLine(*row) for row in rows]


def get_zone(connection: Connection, zone_id: int) -> ZoneLine | None:
    row = connection.execute(select(*_ZONE_COLUMNS).where(_Z.id == zone_id)).one_or_none()
    return None if row is None else ZoneLine(*row)


def zone_by_name(
    connection: Connection, policy_key: str, district: str, park: str
) -> ZoneLine | None:
    row = connection.execute(
        select(*_ZONE_COLUMNS).where(
            _Z.policy_key == policy_key, _Z.district == district, _Z.park == park
        )
    ).one_or_none()
    return None if row is None else ZoneLine(*row)


def insert_zone(connection: Connection, values: Mapping[str, Any]) -> int:
    new_id: int = connection.execute(insert(_Z).values(**values).returning(_Z.id)).scalar_one()
    return new_id


def update_zone(connection: Connection, zone_id: int, values: Mapping[str, Any]) -> None:
    connection.execute(update(_Z).where(_Z.id == zone_id).values(**values))
