"""Alembic revisions over store.models (a package so the migrations ship with archivist)."""
