"""Dates to timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

MIN_YEAR = 1990  # older dates on news pages are almost always parsing accidents
# Written-out dates some sites put in meta tags instead of ISO 8601.
TEXT_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d.%m.%Y")


def to_utc(value: str | datetime | date | None) -> datetime | None:
    """Parse an ISO-8601, RFC 2822 or written-out date into UTC; no zone is taken as UTC."""
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
    text = " ".join(value.split())
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    return _parse_written(text)


def _parse_written(text: str) -> datetime | None:
    for layout in TEXT_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None
