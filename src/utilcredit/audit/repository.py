from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from utilcredit.audit.tables import AuditEntryRow


def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry in the caller's transaction (it lands or vanishes with the change)."""
    connection.execute(
        insert(AuditEntryRow).values(
            actor=actor,
            action=action,
            entity=entity,
            entity_key=entity_key,
            reason=reason,
            detail=detail,
        )
    )
