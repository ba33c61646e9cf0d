"""service: tickets, SLAs, escalations, complaints, surveys, calendar

Revision ID: service_0001
Revises: 
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'service_0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('service',)
depends_on: str | Sequence[str] | None = ("customer_0001",)  # customers, branches and staff


def upgrade() -> None:
    op.create_table('service_calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('service_sla_policy',
    sa.Column('kind', sa.Enum('CONSULTATION', 'AFTER_SALES', 'COMPLAINT', 'REQUEST', name='ticketkind', native_enum=False, length=32), nullable=False),
    sa.Column('priority', sa.Enum('LOW', 'NORMAL', 'HIGH', 'URGENT', name='ticketpriority', native_enum=False, length=32), nullable=False),
    sa.Column('tier', sa.Enum('MASS', 'AFFLUENT', 'WEALTH', 'PRIVATE', name='customertier', native_enum=False, length=32), nullable=False),
    sa.Column('response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'priority', 'tier'),
    info={'crm_reference_data': True}
    )
    op.create_table('service_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_no', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('CONSULTATION', 'AFTER_SALES', 'COMPLAINT', 'REQUEST', name='ticketkind', native_enum=False, length=32), nullable=False),
    sa.Column('channel', sa.Enum('BRANCH_COUNTER', 'PHONE', 'APP', 'EMAIL', 'SOCIAL_MEDIA', name='ticketchannel', native_enum=False, length=32), nullable=False),
    sa.Column('priority', sa.Enum('LOW', 'NORMAL', 'HIGH', 'URGENT', name='ticketpriority', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'IN_PROGRESS', 'PENDING_CUSTOMER', 'RESOLVED', 'CLOSED', name='ticketstatus', native_enum=False, length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=False),
    sa.Column('account_no', sa.String(length=40), nullable=True),
    sa.Column('transaction_reference', sa.String(length=40), nullable=True),
    sa.Column('queue_branch_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.Enum('MASS', 'AFFLUENT', 'WEALTH', 'PRIVATE', name='customertier', native_enum=False, length=32), nullable=False),
    sa.Column('response_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waited_minutes', sa.Integer(), nullable=False),
    sa.Column('first_responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=4000), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer_customer.id'], ),
    sa.ForeignKeyConstraint(['queue_branch_id'], ['security_branch.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_no')
    )
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_ticket_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_service_ticket_created', ['created_at'], unique=False)
        batch_op.create_index('ix_service_ticket_customer', ['customer_id', 'status'], unique=False)
        batch_op.create_index('ix_service_ticket_queue', ['queue_branch_id', 'status'], unique=False)

    op.create_table('service_complaint',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('root_cause', sa.Enum('PRODUCT', 'SERVICE_ATTITUDE', 'PROCESS', 'SYSTEM_FAILURE', 'FEES', 'MIS_SELLING', 'OTHER', name='rootcause', native_enum=False, length=32), nullable=True),
    sa.Column('compensation', sa.BigInteger(), nullable=True),
    sa.Column('compensation_note', sa.String(length=4000), nullable=True),
    sa.Column('compensation_granted_by', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('acknowledged_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['compensation_granted_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], ),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.create_table('service_escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Enum('FIRST_RESPONSE', 'RESOLUTION', name='deadline', native_enum=False, length=32), nullable=False),
    sa.Column('level', sa.Enum('AT_RISK', 'BREACHED', name='escalationlevel', native_enum=False, length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('branch_manager_ids', sa.String(length=200), nullable=False),
    sa.Column('relationship_manager_id', sa.Integer(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['relationship_manager_id'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'deadline', 'level', 'due_at')
    )
    with op.batch_alter_table('service_escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_escalation_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('service_survey',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('recommend', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=4000), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], ),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.create_table('service_ticket_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=4000), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('written_by', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], ),
    sa.ForeignKeyConstraint(['written_by'], ['security_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_ticket_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_ticket_comment_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('service_ticket_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('OPEN', 'IN_PROGRESS', 'PENDING_CUSTOMER', 'RESOLVED', 'CLOSED', name='ticketstatus', native_enum=False, length=32), nullable=False),
    sa.Column('to_status', sa.Enum('OPEN', 'IN_PROGRESS', 'PENDING_CUSTOMER', 'RESOLVED', 'CLOSED', name='ticketstatus', native_enum=False, length=32), nullable=False),
    sa.Column('comment', sa.String(length=4000), nullable=True),
    sa.Column('made_by', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['made_by'], ['security_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_ticket_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_ticket_transition_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_ticket_transition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_ticket_transition_ticket_id'))

    op.drop_table('service_ticket_transition')
    with op.batch_alter_table('service_ticket_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_ticket_comment_ticket_id'))

    op.drop_table('service_ticket_comment')
    op.drop_table('service_survey')
    with op.batch_alter_table('service_escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_escalation_ticket_id'))

    op.drop_table('service_escalation')
    op.drop_table('service_complaint')
    with op.batch_alter_table('service_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_service_ticket_queue')
        batch_op.drop_index('ix_service_ticket_customer')
        batch_op.drop_index('ix_service_ticket_created')
        batch_op.drop_index(batch_op.f('ix_service_ticket_assignee_id'))

    op.drop_table('service_ticket')
    op.drop_table('service_sla_policy')
    op.drop_table('service_calendar_day')
