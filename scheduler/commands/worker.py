"""`archivist worker`: run scheduled crawls until stopped."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from crawler.cli.options import settings_option
from crawler.settings import parse_duration, parse_overrides
from scheduler.logs import LOG_FORMATS, EventLog, url_secrets
from scheduler.worker import Worker, WorkerRefused, WorkerSettings
from store.cli_options import db_option, one_line_errors
from store.db import database_url


class Duration(click.ParamType):  # type: ignore[type-arg]  # generic only in stubs
    """Seconds, or a duration such as 30s, 15m, 1h."""

    name = "DURATION"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = Duration()


@click.command()
@db_option
@click.option(
    "--max-parallel",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Crawls this worker runs at once.",
)
@click.option(
    "--grace",
    type=DURATION,
    default="30s",
    show_default=True,
    help="On SIGTERM/SIGINT, how long running crawls may finish before they are stopped.",
)
@click.option(
    "--crawl-timeout",
    type=DURATION,
    default="1h",
    show_default=True,
    help="A crawl still running after this is stopped and its run marked failed.",
)
@click.option(
    "--sync-every",
    type=DURATION,
    default="30s",
    show_default=True,
    help="How often the sources table is re-read (added, edited, disabled sources), and runs "
    "left running by dead crawls on this machine are closed.",
)
@click.option(
    "--revisit-every",
    type=DURATION,
    default="5m",
    show_default=True,
    help="How often to queue revisit runs for sources with due documents (0: never).",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Append log lines to this file instead of stderr.",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="logfmt",
    show_default=True,
    help="One event per line as logfmt or JSON.",
)
@settings_option("A crawl setting for every crawl this worker starts; repeatable.")
@one_line_errors
def worker(
    db_url: str | None,
    max_parallel: int,
    grace: int,
    crawl_timeout: int,
    sync_every: int,
    revisit_every: int,
    log_file: Path | None,
    log_format: str,
    overrides: tuple[str, ...],
) -> None:
    """Run the scheduled crawls of every enabled source until stopped (SIGTERM or Ctrl-C).

    Each crawl runs in its own process; one line per event is logged. On SQLite one worker
    runs per archive; on PostgreSQL several workers share the work and one of them schedules.
    """
    try:
        parse_overrides(overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    for option, seconds in (("--sync-every", sync_every), ("--crawl-timeout", crawl_timeout)):
        if seconds < 1:
            raise click.UsageError(f"{option} must be at least 1 second, not {seconds}")
    url = database_url(db_url)
    settings = WorkerSettings(
        url=url, max_parallel=max_parallel, grace=grace, crawl_timeout=crawl_timeout,
        sync_every=sync_every, revisit_every=revisit_every,
        crawl_args=tuple(arg for pair in overrides for arg in ("-s", pair)),
    )  # fmt: skip
    stream = _open_log(log_file)
    try:
        code = Worker(settings, EventLog(stream, log_format, url_secrets(url))).run()
    except WorkerRefused as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if stream is not sys.stderr:
            stream.close()
    sys.exit(code)


def _open_log(path: Path | None) -> TextIO:
    if path is None:
        return sys.stderr
    try:
        return path.open("a", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write the log file {path}: {exc.strerror}") from exc
