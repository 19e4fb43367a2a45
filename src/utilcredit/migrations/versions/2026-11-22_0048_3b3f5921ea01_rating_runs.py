"""rating runs: headers, per-subject results and level changes

Revision ID: 3b3f5921ea01
Revises: ef55bbe849a4
Create Date: 2026-11-22 00:48:35.192625
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b3f5921ea01"
down_revision: str | None = "ef55bbe849a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("policy_key", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.Column("utility", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("clause_ids", sa.JSON(), nullable=False),
        sa.Column("base_run_id", sa.Integer(), nullable=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("rerated", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("n_green", sa.Integer(), nullable=False),
        sa.Column("n_blue", sa.Integer(), nullable=False),
        sa.Column("n_yellow", sa.Integer(), nullable=False),
        sa.Column("n_red", sa.Integer(), nullable=False),
        sa.Column("n_black", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["base_run_id"], ["rating_runs.id"], name=op.f("fk_rating_runs_base_run_id_rating_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_runs")),
    )
    with op.batch_alter_table("rating_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_runs_policy_key_status", ["policy_key", "status", "id"], unique=False
        )

    op.create_table(
        "level_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("from_run_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("policy_key", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("from_level", sa.String(length=8), nullable=True),
        sa.Column("to_level", sa.String(length=8), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rating_runs.id"],
            name=op.f("fk_level_changes_run_id_rating_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level_changes")),
    )
    with op.batch_alter_table("level_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_level_changes_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            "ix_level_changes_subject_id_policy_key",
            ["subject_id", "policy_key", "run_id"],
            unique=False,
        )

    op.create_table(
        "rating_results",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("statuses", sa.String(length=200), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rating_runs.id"],
            name=op.f("fk_rating_results_run_id_rating_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "subject_id", name=op.f("pk_rating_results")),
    )


def downgrade() -> None:
    op.drop_table("rating_results")
    with op.batch_alter_table("level_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_level_changes_subject_id_policy_key")
        batch_op.drop_index(batch_op.f("ix_level_changes_run_id"))

    op.drop_table("level_changes")
    with op.batch_alter_table("rating_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_runs_policy_key_status")

    op.drop_table("rating_runs")
