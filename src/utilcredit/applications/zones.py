"""Pilot zones (湛江 附件1): a table admins keep, matched by park name or area-code prefix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, actor_name, require
from utilcredit.applications import repository
from utilcredit.applications.repository import ZoneLine
from utilcredit.audit import repository as audit
from utilcredit.errors import FieldInvalidError
from utilcredit.policies.service import policy_at


def match_zone(
    connection: Connection, policy_key: str, area: str | None, park: str | None
) -> ZoneLine | None:
    """The active pilot zone the address lies in: by park name, else by area code prefix.

    A park the policy's zone table does not list is refused (a typo must not read as "outside
    every zone"); an area code that matches no zone means the address is outside them.
    """
    zones = [z for z in repository.zones_of(connection, [policy_key]) if z.active]
    if park:
        wanted = "".join(park.split())
        for zone in zones:
            if "".join(zone.park.split()) == wanted:
                return zone
        known = "、".join(z.park for z in zones) or "无"
        raise FieldInvalidError(
            "park", f"未知的试点园区：{park}（可选：{known}） / unknown pilot zone {park}"
        )
    if area:
        for zone in zones:
            if zone.area_code and area.startswith(zone.area_code):
                return zone
    return None


def zones(connection: Connection, policy_keys: Sequence[str]) -> list[ZoneLine]:
    return repository.zones_of(connection, policy_keys)


@dataclass(frozen=True, slots=True)
class ZoneEdit:
    policy_key: str
    district: str
    park: str
    area_code: str | None = None
    active: bool = True
    note: str | None = None


def set_zone(connection: Connection, principal: Principal | None, edit: ZoneEdit) -> ZoneLine:
    """Add a pilot zone or change one (matched by policy, district and park); audited."""
    utility = policy_at(edit.policy_key, None).policy.utility  # unknown: refused, with choices
    if principal is not None:
        require(principal, Permission.MANAGE_USERS, entity="zone")
        if not principal.may_write_utility(utility):
            raise NotVisibleError(
                "无权维护该供应类别的试点区域 / not a utility of yours", entity="zone"
            )
    district, park = edit.district.strip(), edit.park.strip()
    if not district or not park:
        raise FieldInvalidError(
            "park", "请填写所属行政区和试点区域 / district and park are required"
        )
    if edit.area_code is not None and not edit.area_code.isdigit():
        raise FieldInvalidError(
            "area_code", f"行政区划代码应为数字：{edit.area_code} / area_code must be digits"
        )
    values = {"area_code": edit.area_code, "active": edit.active, "note": edit.note}
    existing = repository.zone_by_name(connection, edit.policy_key, district, park)
    if existing is None:
        zone_id = repository.insert_zone(
            connection,
            {"policy_key": edit.policy_key, "district": district, "park": park, **values},
        )
    else:
        zone_id = existing.id
        repository.update_zone(connection, zone_id, values)
    audit.record(
        connection,
        actor=actor_name(principal),
        action="zone_set",
        entity="zone",
        entity_key=str(zone_id),
        detail={"policy": edit.policy_key, "district": district, "park": park, **values},
        utilities=[utility],
    )
    zone = repository.get_zone(connection, zone_id)
    assert zone is not None
    return zone
