"""the latest reproduction of a model version

Revision ID: 0003_reproduction
Revises: 0002_step_cache
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_reproduction'
down_revision = '0002_step_cache'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reproduction', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_column('reproduction')
