"""audit log: the utilities an entry concerns

Revision ID: 5ec0a1b2c3d6
Revises: 5ec0a1b2c3d5
Create Date: 2026-11-30 17:00:00

``audit_log.utilities`` holds the utilities an entry concerns, comma-wrapped and sorted
(``",power,water,"``), ``""`` for none. Existing entries are filled in as new ones are written:
an override's entries get the override's utility; other entries about a subject (views of
personal data) the utilities the subject has accounts with; refused accesses and everything
else the actor's memberships (for entries about a user, also that user's). What is still
empty afterwards (unknown actors, e.g. a failed login with an unknown user name) is read by
auditors of every utility only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ec0a1b2c3d6"
down_revision: str | None = "5ec0a1b2c3d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The utilities as they are when this revision is written (migrations never import the app).
UTILITIES = ("power", "water")

log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_key", sa.String),
    sa.column("utilities", sa.String),
)
overrides = sa.table(
    "level_overrides", sa.column("id", sa.Integer), sa.column("utility", sa.String)
)
subjects = sa.table("subjects", sa.column("id", sa.Integer), sa.column("code", sa.String))
accounts = sa.table(
    "accounts", sa.column("subject_id", sa.Integer), sa.column("utility", sa.String)
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
memberships = sa.table(
    "user_utilities", sa.column("user_id", sa.Integer), sa.column("utility", sa.String)
)


def _wrapped(has: "dict[str, sa.ColumnElement[bool]]") -> "sa.ColumnElement[str]":
    """``",power,water,"`` from one condition per utility; ``","`` when none holds."""
    text: sa.ColumnElement[str] = sa.literal(",")
    for utility in UTILITIES:
        text = text + sa.case((has[utility], sa.literal(f"{utility},")), else_=sa.literal(""))
    return text


def _backfill() -> None:
    override_utility = (
        sa.select(sa.literal(",") + overrides.c.utility + sa.literal(","))
        .where(sa.cast(overrides.c.id, sa.String) == log.c.entity_key)
        .scalar_subquery()
    )
    op.execute(
        log.update()
        .where(log.c.entity == "override")
        .values(utilities=sa.func.coalesce(override_utility, ""))
    )

    def subject_has(utility: str) -> "sa.ColumnElement[bool]":
        return sa.exists().where(
            subjects.c.code == log.c.entity_key,
            accounts.c.subject_id == subjects.c.id,
            accounts.c.utility == utility,
        )

    op.execute(
        log.update()
        .where(log.c.entity == "subject", log.c.action != "access_denied")
        .values(utilities=_wrapped({u: subject_has(u) for u in UTILITIES}))
    )

    def actor_has(utility: str) -> "sa.ColumnElement[bool]":
        named = sa.or_(
            users.c.username == log.c.actor,
            sa.and_(log.c.entity == "user", users.c.username == log.c.entity_key),
        )
        return sa.exists().where(
            named, memberships.c.user_id == users.c.id, memberships.c.utility == utility
        )

    op.execute(
        log.update()
        .where(sa.or_(log.c.utilities == "", log.c.utilities == ","))
        .values(utilities=_wrapped({u: actor_has(u) for u in UTILITIES}))
    )
    op.execute(log.update().where(log.c.utilities == ",").values(utilities=""))


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("utilities", sa.String(length=64), server_default="", nullable=False)
        )
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("utilities")
