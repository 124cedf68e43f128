"""A source's fields from the command line or a TOML declaration, checked; and read back.

Shared by `source add` / `source edit` options and `source import` declarations, so both
refuse the same mistakes with the same one-line messages.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import click

from crawler.cli.crontab import crontab_trigger
from crawler.settings import checked_settings, parse_duration, parse_overrides, unfit_value
from store.models import Source

MAX_DEPTH = 10  # deeper section crawls wander off into the whole site
# What each key of a `[sources.NAME]` declaration holds: its TOML types, and their description.
# bool is checked apart from int: TOML `true` must not pass as a depth, nor 1 as `enabled`.
DECLARED_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "feed": ((str,), "a URL string"),
    "sitemap": ((str,), "a URL string"),
    "start": ((str,), "a URL string"),
    "follow": ((str,), "a regular expression string"),
    "depth": ((int,), "a whole number"),
    "every": ((str, int), 'a duration string such as "15m" or a whole number of seconds'),
    "cron": ((str,), 'a crontab string such as "0 * * * *"'),
    "timezone": ((str,), 'a time zone name string such as "Europe/Moscow"'),
    "enabled": ((bool,), "true or false"),
    "settings": ((dict,), "a table such as { DOWNLOAD_DELAY = 1 }"),
}
# What TOML values that no crawl setting can hold are called (datetime before its base, date).
TOML_KINDS: tuple[tuple[type, str], ...] = (
    (dict, "a table"),
    (list, "an array"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
)
# Zone database names for the host's own zone: a cron read in one would mean another time, or
# none, on a worker of another host.
HOST_ZONES = frozenset({"localtime", "posixrules"})


class FieldError(click.UsageError):
    """A value out of range, said of its option (`--every ...`) or, on import, of its TOML key."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"--{field} {problem}")
        self.field = field
        self.problem = problem


def schedule_fields(
    every: str | None, cron: str | None, timezone: str | None = None
) -> dict[str, Any]:
    """`every_seconds` / `cron` / `timezone` columns from `--every` / `--cron` / `--timezone`.

    One of --every and --cron may be given; --timezone goes with --cron (alone, it changes the
    zone of a source's cron). An interval clears the zone.
    """
    if every and cron:
        raise click.UsageError("give either --every or --cron, not both")
    if every and timezone:
        raise click.UsageError("--timezone goes with --cron: an interval needs no time zone")
    zone = {"timezone": checked_zone(timezone)} if timezone else {}
    if every:
        try:
            seconds = parse_duration(every)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        if seconds <= 0:
            raise FieldError("every", "must be longer than zero")
        return {"every_seconds": seconds, "cron": None, "timezone": None}
    if cron:
        try:
            crontab_trigger(cron)
        except ValueError as exc:
            raise click.UsageError(f"not a cron expression {cron!r}: {exc}") from exc
        return {"every_seconds": None, "cron": cron, **zone}
    return zone


def checked_zone(name: str) -> str:
    """An IANA time zone name (`Europe/Moscow`, `UTC`) of the zone database, the same anywhere."""
    if name in HOST_ZONES:
        raise click.UsageError(
            f"{name!r} is this host's time zone, which other hosts need not share: "
            "give an IANA name such as Europe/Moscow or UTC"
        )
    if name not in zone_names():
        raise click.UsageError(
            f"not a time zone {name!r}: give an IANA name such as Europe/Moscow or UTC"
        )
    return name


@cache
def zone_names() -> frozenset[str]:
    """The zone database's names, read once (it opens each file of the database)."""
    return frozenset(available_timezones())


def discovery_fields(
    feed: str | None,
    sitemap: str | None,
    start: str | None,
    follow: str | None,
    depth: int | None,
) -> dict[str, Any]:
    """`kind`, `url`, `follow`, `depth` columns from `--feed` / `--sitemap` / `--start`."""
    given = {kind: url for kind, url in (("feed", feed), ("sitemap", sitemap), ("start", start))}
    chosen = {kind: url for kind, url in given.items() if url}
    if len(chosen) > 1:
        raise click.UsageError("give one of --feed, --sitemap or --start")
    if (follow is not None or depth is not None) and chosen and "start" not in chosen:
        raise click.UsageError("--follow and --depth go with --start")
    fields: dict[str, Any] = {}
    for kind, url in chosen.items():
        fields.update(kind=kind, url=checked_url(url))
    if follow is not None:
        fields["follow"] = _checked_pattern(follow)
    if depth is not None:
        if not 1 <= depth <= MAX_DEPTH:
            raise FieldError("depth", f"must be between 1 and {MAX_DEPTH}")
        fields["depth"] = depth
    return fields


def declared_type_error(key: str, value: Any) -> str | None:
    """Why `value` cannot be the declaration's `key` (None when its type fits)."""
    types, described = DECLARED_TYPES[key]
    if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
        return None
    return f"must be {described}, not {value!r}"


def setting_error(name: str, value: Any) -> str | None:
    """Why a TOML `settings` entry cannot be a crawl setting (None when it can).

    The name must be one `-s NAME=VALUE` could give, as written; the value one it could read,
    and of its kind for archivist's own settings (`ARCHIVIST_LIMIT = "abc"` never crawls).
    """
    if not name.strip():
        return "a setting name cannot be blank"
    if name != name.strip():
        return "a setting name cannot have spaces around it"
    if "=" in name:
        return "a setting name cannot contain '='"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a string, number or boolean, not {value!r}"
    if isinstance(value, (str, int, float)):  # bool is an int
        described = unfit_value(name, value)  # archivist's own settings: of their kind
        return f"must be {described}, not {value!r}" if described else None
    kind = next((said for kind, said in TOML_KINDS if isinstance(value, kind)), repr(value))
    return f"must be a string, number or boolean, not {kind}"


def checked_name(name: str) -> str:
    """A source name: anything but empty or blank."""
    if not name.strip():
        raise click.UsageError("a source name cannot be empty")
    return name


def checked_url(url: str, spaces: bool = False) -> str:
    """`url` if it is an http(s) URL with a host (and no spaces, unless `spaces`: a URL
    pasted into `fetch` is sent with them escaped); a usage error otherwise."""
    if not url.lower().startswith(("http://", "https://")):
        raise click.UsageError(f"not an http(s) URL: {url}")
    if not spaces and any(char.isspace() for char in url):
        raise click.UsageError(f"a URL cannot contain spaces: {url!r}")
    try:
        host = urlsplit(url).hostname
        _ = urlsplit(url).port
    except ValueError as exc:
        raise click.UsageError(f"not a valid URL {url!r}: {exc}") from exc
    if not host:
        raise click.UsageError(f"no host in the URL: {url!r}")
    return url


def _checked_pattern(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise click.UsageError(f"--follow is not a regular expression: {exc}") from exc
    return pattern


def settings_option(pairs: tuple[str, ...]) -> dict[str, Any]:
    """Per-source crawl settings from `-s NAME=VALUE` pairs."""
    try:
        return parse_overrides(pairs)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def settings_table(table: dict[str, Any]) -> dict[str, Any]:
    """Per-source crawl settings from a TOML table: what `-s` refuses is refused."""
    try:
        return checked_settings(table)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def describe(source: Source) -> dict[str, Any]:
    """A source as plain data (the JSON of `source list --json` / `show --json`)."""
    return {
        "name": source.name,
        "kind": source.kind,
        "url": source.url,
        "follow": source.follow,
        "depth": source.depth,
        "every": schedule_text(source),
        "every_seconds": source.every_seconds,
        "cron": source.cron,
        "timezone": source.timezone,
        "enabled": source.enabled,
        "settings": (source.options or {}).get("settings", {}),
        "created_at": source.created_at.isoformat(),
        "updated_at": source.updated_at.isoformat(),
    }


def schedule_text(source: Source) -> str:
    """`every 15m`, `cron 0 * * * *`, `cron 0 7 * * * Europe/Moscow` or `manual`."""
    if source.cron:
        return f"cron {source.cron}" + (f" {source.timezone}" if source.timezone else "")
    if source.every_seconds:
        return f"every {duration_text(source.every_seconds)}"
    return "manual"


def duration_text(seconds: int) -> str:
    """The shortest exact spelling: 900 -> 15m, 86400 -> 1d, 90 -> 90s."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
