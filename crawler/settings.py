"""Every crawl knob in one place. Users override any of them with `-s NAME=VALUE`."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from importlib.metadata import version
from typing import Any

from store.templates import TemplatePolicy

USER_AGENT = f"archivist/{version('archivist')} (news archiver; Scrapy)"

SCRAPY_SETTINGS: dict[str, Any] = {
    "BOT_NAME": "archivist",
    "USER_AGENT": USER_AGENT,
    "ROBOTSTXT_OBEY": True,
    "ROBOTSTXT_USER_AGENT": "archivist",
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024,  # decompressed bytes; bigger bodies are not articles
    "DOWNLOAD_WARNSIZE": 5 * 1024 * 1024,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    # Scrapy starts this many tasks per callback output; ours yield one page (or a listing's
    # requests, which are cheap), and Scrapy's 100 cost more than reading the page.
    "CONCURRENT_ITEMS": 4,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    # A crawl listens on no port; dropping the classes also skips their imports at start-up.
    "EXTENSIONS": {
        "scrapy.extensions.remote_control.RemoteControl": None,
        "scrapy.extensions.telnet.TelnetConsole": None,
        "scrapy.extensions.throttle.AutoThrottle": None,  # replaced by the one below
        "crawler.middlewares.throttle.RevisitAwareAutoThrottle": 0,
        "crawler.middlewares.interrupt.DropUnsentOnSignal": 0,  # the first Ctrl-C sends no more
    },
    "LOG_LEVEL": "WARNING",
    "HTTPERROR_ALLOW_ALL": True,  # 404/410/5xx reach the spider: they are evidence, not noise
    "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
    # archivist's own knobs
    "ARCHIVIST_DB_URL": None,  # set from --db / ARCHIVIST_DB by the command
    "ARCHIVIST_STORE": True,  # False: read pages, write nothing (fetch --no-store)
    "ARCHIVIST_EXTRACT_WORKERS": 0,  # processes for extraction; 0 = in the crawl process
    "ARCHIVIST_CRAWL_RUN_ID": None,
    "ARCHIVIST_SOURCE_ID": None,
    # Pages read in the crawl process before the workers take over: starting one costs about a
    # second of CPU, more than reading a few pages (a re-check that finds a handful changed).
    # They start as soon as more new articles than this are on their way, and the crawl process
    # goes on reading while they load the extractor.
    "ARCHIVIST_READ_BEFORE_POOL": 8,
    # Extraction workers are replaced after reading this many pages each: memory stays flat.
    "ARCHIVIST_PAGES_PER_WORKER": 4000,
    "ARCHIVIST_LIMIT": 0,  # most article pages one crawl fetches; 0 = no limit
    "ARCHIVIST_REVISIT_MIN": 15 * 60,  # seconds: the shortest wait before re-checking an article
    "ARCHIVIST_REVISIT_MAX": 30 * 86400,  # seconds: the longest wait, for long-stable articles
    "ARCHIVIST_REVISIT_FACTOR": 0.25,  # wait = this x how long the content has been stable
    "ARCHIVIST_REVISIT_ALL": False,  # True: re-check every known article of the source now
    "ARCHIVIST_RETRY_AFTER_MAX": 120,  # seconds: longest Retry-After (429/503) honoured
    "ARCHIVIST_PROGRESS_SECONDS": 5,  # how often a running crawl writes its counts to its run
    # Learned templates: a line carried verbatim by this share of a source's articles (and by
    # at least MIN_DOCS of them, out of the SAMPLE most recently changed) is template.
    "ARCHIVIST_TEMPLATES": True,  # False: learn nothing and remove no learned line
    "ARCHIVIST_TEMPLATE_MIN_DOCS": 5,
    "ARCHIVIST_TEMPLATE_MIN_SHARE": 0.5,
    "ARCHIVIST_TEMPLATE_SAMPLE": 200,
}

# Scrapy's own middlewares stay; these add archivist's politeness and revisit logic.
DOWNLOADER_MIDDLEWARES: dict[str, int] = {
    "crawler.middlewares.known.KnownDocumentsMiddleware": 50,
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
}
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def crawl_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ARCHIVIST_USER_AGENT from the environment, then command-line overrides."""
    settings = dict(SCRAPY_SETTINGS)
    settings["DOWNLOADER_MIDDLEWARES"] = dict(DOWNLOADER_MIDDLEWARES)
    if os.environ.get("ARCHIVIST_USER_AGENT"):
        settings["USER_AGENT"] = os.environ["ARCHIVIST_USER_AGENT"]
    settings.update(overrides or {})
    return without_unused_components(settings)


# Components our settings leave off: disabled in EXTENSIONS or DOWNLOADER_MIDDLEWARES, or cookies.
COMPONENT_SETTINGS = ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES")
COOKIES_MIDDLEWARE = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"


def without_unused_components(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with the components they disable left out of Scrapy's base lists too.

    Scrapy imports every class of a component list to merge it with its base, disabled ones
    included: its remote-control extension brings aiohttp and its cookies middleware
    tldextract, a fifth of a second at every start-up for classes a crawl never runs.
    """
    from scrapy.settings import default_settings

    settings = dict(settings)
    given = {name: _component_dict(settings, name) for name in COMPONENT_SETTINGS}
    lists = {name: ours for name, ours in given.items() if ours is not None}
    if len(lists) < len(given):
        return settings  # a list Scrapy will parse itself (`-s` JSON it cannot read): as given
    if not settings.get("COOKIES_ENABLED", True):
        lists["DOWNLOADER_MIDDLEWARES"][COOKIES_MIDDLEWARE] = None
    for name, ours in lists.items():
        off = {key for key, order in ours.items() if order is None and isinstance(key, str)}
        base = settings.get(f"{name}_BASE") or getattr(default_settings, f"{name}_BASE")
        settings[f"{name}_BASE"] = {key: order for key, order in base.items() if key not in off}
        settings[name] = {key: order for key, order in ours.items() if key not in off}
    return settings


def _component_dict(settings: dict[str, Any], name: str) -> dict[Any, Any] | None:
    """A component list as a dict: `-s` gives it as JSON text, as Scrapy reads it; None when
    the text is no JSON object."""
    value = settings.get(name) or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return dict(value) if isinstance(value, dict) else None


# Read from the environment, never from -s.
ENVIRONMENT = frozenset(
    {"ARCHIVIST_DB", "ARCHIVIST_USER_AGENT", "ARCHIVIST_SITE_RULES", "ARCHIVIST_FIXTURES"}
)
# Set by the commands themselves; from `-s` they would end up on process command lines.
INTERNAL_SETTINGS = frozenset({"ARCHIVIST_DB_URL", "ARCHIVIST_CRAWL_RUN_ID", "ARCHIVIST_SOURCE_ID"})


@dataclass(frozen=True)
class Kind:
    """The values one of archivist's settings takes: what it reads without failing a crawl."""

    described: str  # what a value must be, as an error says it: "must be <described>"
    fits: Callable[[Any], bool]


def _number(value: Any) -> bool:
    """An int or a finite float (never a bool, which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(least: int) -> Kind:
    return Kind(
        f"a whole number >= {least}",
        lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= least,
    )


def duration_seconds(value: Any) -> float | None:
    """Seconds in a duration setting (`15m`, `1h30m`, a number of seconds), None if not one."""
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            return None
    return float(value) if _number(value) and value >= 0 else None


BOOLEAN = Kind("true or false", lambda value: isinstance(value, bool))
SECONDS = Kind("a number of seconds >= 0", lambda value: _number(value) and value >= 0)
DURATION = Kind(
    "a duration such as 15m or 1d, or a number of seconds >= 0",
    lambda value: duration_seconds(value) is not None,
)
# Each setting's kind, from how it is read: Scrapy's getint/getfloat/getbool, int()/float() in
# the pipeline and the crawl plan, and `parse_duration` for the revisit bounds.
SETTING_KINDS: dict[str, Kind] = {
    "ARCHIVIST_STORE": BOOLEAN,
    "ARCHIVIST_EXTRACT_WORKERS": _whole(0),  # 0: read in the crawl process
    "ARCHIVIST_READ_BEFORE_POOL": _whole(0),
    "ARCHIVIST_PAGES_PER_WORKER": _whole(1),
    "ARCHIVIST_LIMIT": _whole(0),  # 0: no limit
    "ARCHIVIST_REVISIT_MIN": DURATION,
    "ARCHIVIST_REVISIT_MAX": DURATION,
    "ARCHIVIST_REVISIT_FACTOR": Kind("a number > 0", lambda value: _number(value) and value > 0),
    "ARCHIVIST_REVISIT_ALL": BOOLEAN,
    "ARCHIVIST_RETRY_AFTER_MAX": SECONDS,  # read with getfloat: a number, not 2m
    "ARCHIVIST_PROGRESS_SECONDS": SECONDS,  # 0: no progress written
    "ARCHIVIST_TEMPLATES": BOOLEAN,
    "ARCHIVIST_TEMPLATE_MIN_DOCS": _whole(2),  # a line two articles share, at least
    "ARCHIVIST_TEMPLATE_MIN_SHARE": Kind(
        "a number > 0 and <= 1", lambda value: _number(value) and 0 < value <= 1
    ),
    "ARCHIVIST_TEMPLATE_SAMPLE": _whole(1),
}


def unfit_value(name: str, value: Any) -> str | None:
    """What `value` of setting `name` must be instead (None when it fits): archivist's own
    settings by SETTING_KINDS, Scrapy's numbers and switches by the kind of their default
    (DOWNLOAD_TIMEOUT=abc would stop the crawl with a bare "could not convert" error)."""
    kind = SETTING_KINDS.get(name) or _scrapy_kind(name)
    return None if kind is None or kind.fits(value) else kind.described


def _scrapy_number(value: Any) -> bool:
    """What Scrapy's getint/getfloat read: a number, a switch, text of a number, or None."""
    if value is None or isinstance(value, bool) or _number(value) or value == "None":
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


SCRAPY_NUMBER = Kind("a number", _scrapy_number)
# what Scrapy's getbool reads
SCRAPY_SWITCH = Kind(
    "true or false (or 1 or 0)",
    lambda value: (
        value in (True, False, 0, 1) or value in ("True", "False", "true", "false", "1", "0")
    ),
)


def _scrapy_kind(name: str) -> Kind | None:
    """The kind of a Scrapy setting whose default is a number or a switch; None otherwise.

    Only values Scrapy's own getters would refuse at run time are refused, in its words."""
    from scrapy.settings import default_settings  # loaded only when a Scrapy setting is given

    default = getattr(default_settings, name, None)
    if isinstance(default, bool):
        return SCRAPY_SWITCH
    return SCRAPY_NUMBER if _number(default) else None


def check_revisit_bounds(settings: dict[str, Any]) -> None:
    """Refuse a shortest revisit wait longer than the longest, when both are given together."""
    low, high = settings.get("ARCHIVIST_REVISIT_MIN"), settings.get("ARCHIVIST_REVISIT_MAX")
    if low is None or high is None:
        return
    low_seconds, high_seconds = duration_seconds(low), duration_seconds(high)
    if low_seconds is not None and high_seconds is not None and low_seconds > high_seconds:
        raise ValueError(
            f"ARCHIVIST_REVISIT_MIN ({low}) must not be longer than ARCHIVIST_REVISIT_MAX ({high})"
        )


def template_policy(settings: dict[str, Any]) -> TemplatePolicy:
    """How a crawl learns its source's template, from the ARCHIVIST_TEMPLATE* settings."""
    return TemplatePolicy(
        enabled=bool(settings.get("ARCHIVIST_TEMPLATES", True)),
        min_documents=int(settings.get("ARCHIVIST_TEMPLATE_MIN_DOCS", 5)),
        min_share=float(settings.get("ARCHIVIST_TEMPLATE_MIN_SHARE", 0.5)),
        sample=int(settings.get("ARCHIVIST_TEMPLATE_SAMPLE", 200)),
    )


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`NAME=VALUE` pairs from `-s`; values that look like numbers/booleans are converted.

    archivist's own settings must hold values of their kind (SETTING_KINDS).
    """
    result: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"setting {pair.partition('=')[0]!r} is not NAME=VALUE")
        check_setting_name(name)
        value = _convert(raw.strip())
        described = unfit_value(name, value)
        if described:
            raise ValueError(f"{name} must be {described}, not {raw.strip()!r}")
        result[name] = value
    check_revisit_bounds(result)
    return result


def checked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings given as typed values (a source declaration's table), refused as `-s` refuses."""
    for name, value in settings.items():
        check_setting_name(name)
        described = unfit_value(name, value)
        if described:
            raise ValueError(f"{name} must be {described}, not {value!r}")
    check_revisit_bounds(settings)
    return dict(settings)


def check_setting_name(name: str) -> None:
    """Refuse a name no user may set: archivist's internal ones, and unknown ARCHIVIST_ ones."""
    if name in INTERNAL_SETTINGS:
        raise ValueError(f"{name} is set by archivist itself (use --db, --run-id)")
    _check_known(name)


def _check_known(name: str) -> None:
    """archivist's own namespace is closed: a misspelt ARCHIVIST_ setting would do nothing.

    Other names pass as they are: Scrapy and its add-ons read settings archivist cannot list.
    """
    if not name.startswith("ARCHIVIST_") or name in SCRAPY_SETTINGS:
        return
    if name in ENVIRONMENT:
        raise ValueError(f"{name} is an environment variable, not a crawl setting")
    close = get_close_matches(name, [n for n in SCRAPY_SETTINGS if n.startswith("ARCHIVIST_")])
    hint = f" (did you mean {close[0]}?)" if close else " (see README, 'Crawl settings')"
    raise ValueError(f"no archivist setting named {name}{hint}")


def _convert(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            number = kind(raw)
        except ValueError:
            continue
        return number if math.isfinite(number) else raw  # "nan", "inf": words, not numbers
    return raw


def parse_duration(text: str) -> int:
    """Seconds in `30s`, `15m`, `1h`, `1d`, `2w`, `1h30m` or a bare number of seconds."""
    raw = text.strip().lower()
    if raw.isdigit():
        return int(raw)
    parts = re.findall(r"(\d+)\s*([smhdw])", raw)
    if not parts or re.sub(r"(\d+)\s*([smhdw])", "", raw).strip():
        raise ValueError(f"not a duration: {text!r} (e.g. 30s, 15m, 1h, 1d)")
    return sum(int(count) * DURATION_UNITS[unit] for count, unit in parts)
