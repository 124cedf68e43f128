"""sources keep the time zone their cron expression is read in

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: UTC, as every cron source was read before
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # never a copy of the table on SQLite: dropping the original would set the documents'
    # source_id to NULL (foreign keys are on); SQLite drops columns itself since 3.35
    with op.batch_alter_table("sources", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("timezone")
