"""Structured log lines: one event per line, logfmt or JSON, with secrets scrubbed."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import make_url

LOG_FORMATS = ("logfmt", "json")
REDACTED = "***"
_BARE = re.compile(r"^[^\s\"=\\]+$")  # logfmt values that need no quotes


def url_secrets(url: str) -> list[str]:
    """The parts of a database URL that must never be printed (its password)."""
    try:
        password = make_url(url).password
    except Exception:  # an unparsable URL: nothing to learn from it, and nothing to hide
        return []
    return [str(password)] if password else []


def one_line(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


class EventLog:
    """Writes one line per event to a stream; thread-safe; known secrets never get through."""

    def __init__(self, stream: TextIO, fmt: str = "logfmt", secrets: Iterable[str] = ()) -> None:
        if fmt not in LOG_FORMATS:
            raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
        self.stream = stream
        self.fmt = fmt
        self.secrets = [s for s in secrets if s]
        self._lock = threading.Lock()

    def event(self, name: str, level: str = "info", **fields: Any) -> None:
        """Write one event line: time, level, event name, then the fields in the order given."""
        record = {"ts": _now(), "level": level, "event": name, **fields}
        line = self.scrub(self._render(record))
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def scrub(self, text: str) -> str:
        """`text` with every known secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _render(self, record: dict[str, Any]) -> str:
        if self.fmt == "json":
            return json.dumps(record, default=_json_value, ensure_ascii=False)
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in record.items())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    """Times as in logfmt lines (ISO 8601 to the second); anything else as its text."""
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def _logfmt_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    text = str(value)
    if _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


class EventLogHandler(logging.Handler):
    """Routes a library's `logging` records (APScheduler's) into the event log."""

    def __init__(self, log: EventLog, name: str) -> None:
        super().__init__()
        self.log = log
        self.event_name = name

    def emit(self, record: logging.LogRecord) -> None:
        self.log.event(self.event_name, level=record.levelname.lower(), message=record.getMessage())


def route_library_logs(log: EventLog, logger_name: str, level: int = logging.WARNING) -> None:
    """Send `logger_name`'s records at `level` and above to the event log, and nowhere else."""
    logger = logging.getLogger(logger_name)
    logger.handlers[:] = [EventLogHandler(log, logger_name)]
    logger.setLevel(level)
    logger.propagate = False
