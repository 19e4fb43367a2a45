"""commitments, credit-based applications and incentives

Revision ID: 5ec0a1b2c3da
Revises: 5ec0a1b2c3d9
Create Date: 2026-12-01 00:47:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ec0a1b2c3da"
down_revision: str | None = "5ec0a1b2c3d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pilot_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_key", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("park", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_zones")),
        sa.UniqueConstraint(
            "policy_key", "district", "park", name=op.f("uq_pilot_zones_policy_key_district_park")
        ),
    )
    op.create_table(
        "measure_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("utility", sa.String(length=8), nullable=False),
        sa.Column("policy_key", sa.String(length=64), nullable=False),
        sa.Column("measure_key", sa.String(length=48), nullable=False),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_measure_grants_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_grants")),
    )
    with op.batch_alter_table("measure_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_grants_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(
            "ix_measure_grants_utility_granted_on", ["utility", "granted_on"], unique=False
        )

    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("utility", sa.String(length=8), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.String(length=32), nullable=False),
        sa.Column("commitment_type", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("content", sa.String(length=8000), nullable=False),
        sa.Column("liability", sa.String(length=2000), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("unfulfilled_content", sa.String(length=2000), nullable=True),
        sa.Column("liability_pursued", sa.String(length=2000), nullable=True),
        sa.Column("accepting_unit", sa.String(length=200), nullable=False),
        sa.Column("accepting_unit_code", sa.String(length=18), nullable=False),
        sa.Column("determining_unit", sa.String(length=200), nullable=False),
        sa.Column("determining_unit_code", sa.String(length=18), nullable=False),
        sa.Column("disclosure", sa.String(length=16), nullable=False),
        sa.Column("document_name", sa.String(length=200), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_commitments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_commitments_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
        sa.UniqueConstraint("code", name=op.f("uq_commitments_code")),
    )
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commitments_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            "ix_commitments_subject_utility", ["subject_id", "utility"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_commitments_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index("ix_commitments_utility_status", ["utility", "status"], unique=False)

    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("utility", sa.String(length=8), nullable=False),
        sa.Column("policy_key", sa.String(length=64), nullable=False),
        sa.Column("business", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=True),
        sa.Column("park", sa.String(length=100), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("address_type", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("documents_present", sa.JSON(), nullable=False),
        sa.Column("documents_missing", sa.JSON(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("eligible", sa.String(length=8), nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("connected_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("open_key", sa.String(length=420), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_applications_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["credit_reports.id"],
            name=op.f("fk_applications_report_id_credit_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_applications_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["pilot_zones.id"], name=op.f("fk_applications_zone_id_pilot_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("open_key", name=op.f("uq_applications_open_key")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_subject_id", ["subject_id"], unique=False)
        batch_op.create_index("ix_applications_utility_status", ["utility", "status"], unique=False)

    op.create_table(
        "commitment_obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("remind_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("on_breach", sa.String(length=32), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("missed_on", sa.Date(), nullable=True),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_obligations_commitment_id_commitments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_obligations")),
    )
    with op.batch_alter_table("commitment_obligations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commitment_obligations_commitment_id"), ["commitment_id"], unique=False
        )
        batch_op.create_index(
            "ix_commitment_obligations_status_due", ["status", "due_on"], unique=False
        )

    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("founded_on", sa.Date(), nullable=True))

    # 湛江 附件1 试点区域名单, matched by park until an admin adds the area codes.
    zones = sa.table(
        "pilot_zones",
        sa.column("policy_key", sa.String()),
        sa.column("district", sa.String()),
        sa.column("park", sa.String()),
        sa.column("active", sa.Boolean()),
        sa.column("note", sa.String()),
    )
    note = "种子004 附件1 试点区域名单"
    op.bulk_insert(
        zones,
        [
            {
                "policy_key": "zhanjiang-power",
                "district": district,
                "park": park,
                "active": True,
                "note": note,
            }
            for district, park in (
                ("湛江经济技术开发区", "石化产业园区"),
                ("湛江经济技术开发区", "钢铁产业园区"),
                ("湛江奋勇高新技术产业开发区", "东盟产业园区"),
            )
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_column("founded_on")

    with op.batch_alter_table("commitment_obligations", schema=None) as batch_op:
        batch_op.drop_index("ix_commitment_obligations_status_due")
        batch_op.drop_index(batch_op.f("ix_commitment_obligations_commitment_id"))

    op.drop_table("commitment_obligations")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_utility_status")
        batch_op.drop_index("ix_applications_subject_id")

    op.drop_table("applications")
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_index("ix_commitments_utility_status")
        batch_op.drop_index(batch_op.f("ix_commitments_updated_at"))
        batch_op.drop_index("ix_commitments_subject_utility")
        batch_op.drop_index(batch_op.f("ix_commitments_application_id"))

    op.drop_table("commitments")
    with op.batch_alter_table("measure_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_grants_utility_granted_on")
        batch_op.drop_index(batch_op.f("ix_measure_grants_subject_id"))

    op.drop_table("measure_grants")
    op.drop_table("pilot_zones")
