"""Every crawl knob in one place. Users override any of them with `-s NAME=VALUE`."""

from __future__ import annotations

import math
import os
import re
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
    # Pages read in the crawl process before the workers start: starting one costs about a
    # second of CPU, more than reading a few pages (a re-check that finds a handful changed).
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
    return settings


# Read from the environment, never from -s.
ENVIRONMENT = frozenset(
    {"ARCHIVIST_DB", "ARCHIVIST_USER_AGENT", "ARCHIVIST_SITE_RULES", "ARCHIVIST_FIXTURES"}
)
# Set by the commands themselves; from `-s` they would end up on process command lines.
INTERNAL_SETTINGS = frozenset({"ARCHIVIST_DB_URL", "ARCHIVIST_CRAWL_RUN_ID", "ARCHIVIST_SOURCE_ID"})


def template_policy(settings: dict[str, Any]) -> TemplatePolicy:
    """How a crawl learns its source's template, from the ARCHIVIST_TEMPLATE* settings."""
    return TemplatePolicy(
        enabled=bool(settings.get("ARCHIVIST_TEMPLATES", True)),
        min_documents=max(2, int(settings.get("ARCHIVIST_TEMPLATE_MIN_DOCS", 5))),
        min_share=float(settings.get("ARCHIVIST_TEMPLATE_MIN_SHARE", 0.5)),
        sample=int(settings.get("ARCHIVIST_TEMPLATE_SAMPLE", 200)),
    )


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`NAME=VALUE` pairs from `-s`; values that look like numbers/booleans are converted."""
    result: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"setting {pair.partition('=')[0]!r} is not NAME=VALUE")
        if name in INTERNAL_SETTINGS:
            raise ValueError(f"{name} is set by archivist itself (use --db, --run-id)")
        _check_known(name)
        result[name] = _convert(raw.strip())
    return result


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
