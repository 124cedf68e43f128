"""Dates to timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

MIN_YEAR = 1990  # older dates on news pages are almost always parsing accidents


def to_utc(value: str | datetime | date | None) -> datetime | None:
    """Parse an ISO-8601 string or date into UTC; a value without zone is taken as UTC."""
    if value is None or value == "":
        return None
    parsed = _parse(value)
    if parsed is None or parsed.year < MIN_YEAR:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse(value: str | datetime | date) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
