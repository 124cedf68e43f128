"""Every crawl knob in one place. Users override any of them with `-s NAME=VALUE`."""

from __future__ import annotations

import os
from importlib.metadata import version
from typing import Any

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
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "HTTPERROR_ALLOW_ALL": True,  # 404/410/5xx reach the spider: they are evidence, not noise
    "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
    # archivist's own knobs
    "ARCHIVIST_DB_URL": None,  # set from --db / ARCHIVIST_DB by the command
    "ARCHIVIST_STORE": True,  # False: read pages, write nothing (fetch --no-store)
    "ARCHIVIST_EXTRACT_WORKERS": 0,  # processes for extraction; 0 = in the crawl process
    "ARCHIVIST_CRAWL_RUN_ID": None,
    "ARCHIVIST_SOURCE_ID": None,
}


def crawl_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ARCHIVIST_USER_AGENT from the environment, then command-line overrides."""
    settings = dict(SCRAPY_SETTINGS)
    if os.environ.get("ARCHIVIST_USER_AGENT"):
        settings["USER_AGENT"] = os.environ["ARCHIVIST_USER_AGENT"]
    settings.update(overrides or {})
    return settings


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`NAME=VALUE` pairs from `-s`; values that look like numbers/booleans are converted."""
    result: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"setting {pair!r} is not NAME=VALUE")
        result[name.strip()] = _convert(raw.strip())
    return result


def _convert(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw
