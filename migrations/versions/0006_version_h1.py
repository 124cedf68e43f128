"""versions keep the headline a page shows (its <h1>), and the `latest` view shows it

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

LATEST_COLUMNS = """d.id AS document_id, d.url, d.status, d.source_id, v.version_no, v.title,{h1}
       v.authors, v.published_at, v.modified_at, v.language, v.text, v.word_count,
       v.content_hash, v.extractor_version, v.first_seen_at, v.last_seen_at,
       d.first_seen_at AS document_first_seen_at, d.last_checked_at"""
LATEST_VIEW = """CREATE VIEW latest AS
SELECT {columns}
FROM documents d
JOIN versions v ON v.document_id = d.id AND v.version_no = d.version_count"""


def _latest_view(with_h1: bool) -> str:
    columns = LATEST_COLUMNS.format(h1=" v.h1," if with_h1 else "")
    return LATEST_VIEW.format(columns=columns)


def upgrade() -> None:
    # NULL for every version stored before: the next reading of the same content fills it in
    # and makes no version (store.records.h1_changed)
    op.execute("DROP VIEW latest")
    with op.batch_alter_table("versions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("h1", sa.Text(), nullable=True))
    op.execute(_latest_view(with_h1=True))


def downgrade() -> None:
    # never a copy of the table on SQLite (the full-text triggers and the captures' foreign
    # keys hang on it); SQLite drops columns itself since 3.35
    op.execute("DROP VIEW latest")
    with op.batch_alter_table("versions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("h1")
    op.execute(_latest_view(with_h1=False))
