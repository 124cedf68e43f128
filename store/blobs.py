"""Raw bodies, content-addressed by SHA-256 and stored once, zstd-compressed."""

from __future__ import annotations

import zstandard
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.db import insert_or_skip
from store.models import Blob
from store.packing import PreparedBlob, prepare_blob


def put_blob(session: Session, body: bytes | PreparedBlob) -> str:
    """Store `body` unless its digest is already there; return the digest."""
    blob = body if isinstance(body, PreparedBlob) else prepare_blob(body)
    digest = blob.digest
    values = {
        "digest": digest,
        "size": blob.size,
        "stored_size": len(blob.data),
        "compression": "zstd",
        "data": blob.data,
    }
    session.execute(insert_or_skip(session, Blob, "digest"), values)
    return digest


def get_blob(session: Session, digest: str) -> bytes | None:
    """The raw body stored under `digest`, decompressed, or None."""
    row = session.execute(select(Blob.data, Blob.compression).where(Blob.digest == digest)).first()
    if row is None:
        return None
    data, compression = row
    if compression == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    return bytes(data)
