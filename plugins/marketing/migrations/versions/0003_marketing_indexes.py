"""marketing: an index on every foreign key

Revision ID: marketing_0003
Revises: marketing_0002
Create Date: 2026-11-29

Indexes only (tests/core/test_indexes.py says which columns must lead one).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "marketing_0003"
down_revision: str | Sequence[str] | None = "marketing_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_marketing_campaign_branch_id", "marketing_campaign", ["branch_id"])
    op.create_index("ix_marketing_campaign_created_by", "marketing_campaign", ["created_by"])
    op.create_index("ix_marketing_campaign_product_id", "marketing_campaign", ["product_id"])
    op.create_index("ix_marketing_campaign_segment_id", "marketing_campaign", ["segment_id"])
    op.create_index("ix_marketing_event_branch_id", "marketing_event", ["branch_id"])
    op.create_index("ix_marketing_event_created_by", "marketing_event", ["created_by"])
    op.create_index(
        "ix_marketing_invitation_follow_up_id", "marketing_invitation", ["follow_up_id"]
    )
    op.create_index("ix_marketing_invitation_invited_by", "marketing_invitation", ["invited_by"])
    op.create_index("ix_marketing_lead_campaign_id", "marketing_lead", ["campaign_id"])
    op.create_index("ix_marketing_lead_created_by", "marketing_lead", ["created_by"])
    op.create_index("ix_marketing_lead_event_id", "marketing_lead", ["event_id"])
    op.create_index("ix_marketing_lead_product_id", "marketing_lead", ["product_id"])
    op.create_index(
        "ix_marketing_lead_referred_by_customer_id", "marketing_lead", ["referred_by_customer_id"]
    )
    op.create_index(
        "ix_marketing_lead_stage_change_changed_by", "marketing_lead_stage_change", ["changed_by"]
    )
    op.create_index("ix_marketing_membership_updated_by", "marketing_membership", ["updated_by"])
    op.create_index("ix_marketing_opt_out_recorded_by", "marketing_opt_out", ["recorded_by"])
    op.create_index("ix_marketing_referral_specialist_id", "marketing_referral", ["specialist_id"])
    op.create_index("ix_marketing_response_recorded_by", "marketing_response", ["recorded_by"])
    op.create_index("ix_marketing_segment_created_by", "marketing_segment", ["created_by"])


def downgrade() -> None:
    op.drop_index("ix_marketing_segment_created_by", table_name="marketing_segment")
    op.drop_index("ix_marketing_response_recorded_by", table_name="marketing_response")
    op.drop_index("ix_marketing_referral_specialist_id", table_name="marketing_referral")
    op.drop_index("ix_marketing_opt_out_recorded_by", table_name="marketing_opt_out")
    op.drop_index("ix_marketing_membership_updated_by", table_name="marketing_membership")
    op.drop_index(
        "ix_marketing_lead_stage_change_changed_by", table_name="marketing_lead_stage_change"
    )
    op.drop_index("ix_marketing_lead_referred_by_customer_id", table_name="marketing_lead")
    op.drop_index("ix_marketing_lead_product_id", table_name="marketing_lead")
    op.drop_index("ix_marketing_lead_event_id", table_name="marketing_lead")
    op.drop_index("ix_marketing_lead_created_by", table_name="marketing_lead")
    op.drop_index("ix_marketing_lead_campaign_id", table_name="marketing_lead")
    op.drop_index("ix_marketing_invitation_invited_by", table_name="marketing_invitation")
    op.drop_index("ix_marketing_invitation_follow_up_id", table_name="marketing_invitation")
    op.drop_index("ix_marketing_event_created_by", table_name="marketing_event")
    op.drop_index("ix_marketing_event_branch_id", table_name="marketing_event")
    op.drop_index("ix_marketing_campaign_segment_id", table_name="marketing_campaign")
    op.drop_index("ix_marketing_campaign_product_id", table_name="marketing_campaign")
    op.drop_index("ix_marketing_campaign_created_by", table_name="marketing_campaign")
    op.drop_index("ix_marketing_campaign_branch_id", table_name="marketing_campaign")
