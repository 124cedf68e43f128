"""crawl runs count the listed URLs they skip (unchanged, or failing and waiting to retry)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("skipped_unchanged", "skipped_backoff")


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        for name in COLUMNS:  # runs logged before: 0, their skips were never recorded
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    # never a copy of the table on SQLite: dropping the original would set the captures'
    # crawl_run_id to NULL (foreign keys are on); SQLite drops columns itself since 3.35
    with op.batch_alter_table("crawl_runs", schema=None, recreate="never") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
