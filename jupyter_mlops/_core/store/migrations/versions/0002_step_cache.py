"""step cache of notebook pipelines

Revision ID: 0002_step_cache
Revises: 0001_initial
Create Date: 2026-11-27 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_step_cache'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('step_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('pipeline', sa.String(length=128), nullable=False),
    sa.Column('notebook', sa.Text(), nullable=False),
    sa.Column('notebook_sha256', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('step_cache', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_cache_pipeline'), ['pipeline'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('step_cache', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_cache_pipeline'))
    op.drop_table('step_cache')
