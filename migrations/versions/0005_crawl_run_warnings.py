"""crawl runs keep warnings: discovery that was read only in part (a truncated feed)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no warning, as for every run before
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.Text(), nullable=True))


def downgrade() -> None:
    # never a copy of the table on SQLite: dropping the original would set the captures'
    # crawl_run_id to NULL (foreign keys are on); SQLite drops columns itself since 3.35
    with op.batch_alter_table("crawl_runs", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("warnings")
