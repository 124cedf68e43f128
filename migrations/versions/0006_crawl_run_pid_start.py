"""crawl runs record which process their pid named: its boot and start time

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: a run's pid judged as before, by whether it is alive
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid_start", sa.String(length=80), nullable=True))


def downgrade() -> None:
    # never a copy of the table on SQLite (see 0005)
    with op.batch_alter_table("crawl_runs", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("pid_start")
