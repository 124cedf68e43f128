"""`archivist demo`: archive the bundled demo news site, on this machine, in under a minute."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from scheduler.demo import INTERRUPTS, DemoError, quiet_lost_interrupts, run_demo

INTERRUPTED = 130  # a shell's status for a command stopped by Ctrl-C (128 + SIGINT)


@click.command()
@click.option(
    "--keep",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("archivist-demo"),
    show_default=True,
    metavar="DIR",
    help="Where the demo's archive (archive.db) and worker log are kept.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Serve the demo site on this port [default: any free port].",
)
def demo(directory: Path, port: int) -> None:
    """See archivist work: no internet, no set-up, under a minute.

    Serves a small news site on 127.0.0.1, adds it as a feed source and a sitemap source in
    a fresh SQLite archive, runs the real worker for a few short cycles while one article is
    corrected, then shows the crawl runs, the articles, that article's history and diff, and
    a SQL query. The archive is kept (in DIR) so you can go on querying it.
    """
    # The worker runs in its own session: a Ctrl-C, a closed terminal or a kill stops it through
    # the demo, once gracefully, at once on a second signal.
    for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, INTERRUPTS.handle)
    sys.unraisablehook = quiet_lost_interrupts
    try:
        result = run_demo(directory, port, click.echo)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"the demo could not run: {exc}") from exc
    except KeyboardInterrupt:  # a second Ctrl-C: the worker was killed
        click.echo(f"error: stopped at once; the archive so far is in {directory}", err=True)
        sys.exit(INTERRUPTED)
    if result.interrupted:
        click.echo(f"interrupted: the archive so far is in {directory}", err=True)
        sys.exit(INTERRUPTED)
    if not result.complete:
        click.echo("error: the demo did not complete (see the worker's log above)", err=True)
        sys.exit(1)
