"""service: an index on every foreign key, none twice; tickets by status, by resolution

Revision ID: service_0002
Revises: service_0001
Create Date: 2026-11-29

Indexes only (tests/core/test_indexes.py says which columns must lead one).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "service_0002"
down_revision: str | Sequence[str] | None = "service_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # led by the unique (ticket_id, deadline, level, due_at) already
    op.drop_index("ix_service_escalation_ticket_id", table_name="service_escalation")
    op.create_index(
        "ix_service_complaint_compensation_granted_by",
        "service_complaint",
        ["compensation_granted_by"],
    )
    op.create_index(
        "ix_service_escalation_relationship_manager_id",
        "service_escalation",
        ["relationship_manager_id"],
    )
    op.create_index("ix_service_survey_recorded_by", "service_survey", ["recorded_by"])
    op.create_index("ix_service_ticket_created_by", "service_ticket", ["created_by"])
    op.create_index("ix_service_ticket_resolved", "service_ticket", ["resolved_at"])
    op.create_index("ix_service_ticket_status", "service_ticket", ["status", "id"])
    op.create_index(
        "ix_service_ticket_comment_written_by", "service_ticket_comment", ["written_by"]
    )
    op.create_index(
        "ix_service_ticket_transition_made_by", "service_ticket_transition", ["made_by"]
    )


def downgrade() -> None:
    op.drop_index("ix_service_ticket_transition_made_by", table_name="service_ticket_transition")
    op.drop_index("ix_service_ticket_comment_written_by", table_name="service_ticket_comment")
    op.drop_index("ix_service_ticket_status", table_name="service_ticket")
    op.drop_index("ix_service_ticket_resolved", table_name="service_ticket")
    op.drop_index("ix_service_ticket_created_by", table_name="service_ticket")
    op.drop_index("ix_service_survey_recorded_by", table_name="service_survey")
    op.drop_index("ix_service_escalation_relationship_manager_id", table_name="service_escalation")
    op.drop_index("ix_service_complaint_compensation_granted_by", table_name="service_complaint")
    op.create_index("ix_service_escalation_ticket_id", "service_escalation", ["ticket_id"])
