"""The archive: models, the write path (versioning) and the read path (SQL, history, diff)."""
