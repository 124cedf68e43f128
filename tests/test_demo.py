"""`archivist demo`: the bundled site, and the whole demo run as a user would run it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import weakref
from pathlib import Path

import pytest
from alembic import command

from scheduler.demo import Interrupts, prepare_archive, quiet_lost_interrupts, stop_worker
from scheduler.demo_server import BOILERPLATE, DemoSite
from store.db import alembic_config, open_archive, transaction
from store.sources import add_source
from tests.conftest import run_archivist
from tests.sites import rows


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def test_demo_site_serves_feed_sitemap_and_an_article_that_gets_edited() -> None:
    site = DemoSite().start()
    try:
        article = site.base + site.edited_article.path
        assert "Disallow: /wp-admin/" in get(site.base + "/robots.txt")
        feed = get(site.base + "/feed/")
        assert feed.count("<item>") == len(site.articles) >= 5
        assert f"<link>{article}</link>" in feed
        before_sitemap, before = get(site.base + "/sitemap.xml"), get(article)
        again = get(article)
        views = re.compile(r"([\d,]+) views")
        assert views.search(before).group(1) != views.search(again).group(1)  # template noise
        assert all(marker in before for marker in BOILERPLATE)
        site.edit()
        after_sitemap, after = get(site.base + "/sitemap.xml"), get(article)
        assert "voted 5–2" in before and "voted 6–1" in after and "Correction:" in after
        assert before_sitemap != after_sitemap  # the edited article's lastmod moved
        assert site.page("/nope")[0] == 404
    finally:
        site.stop()


def test_demo_runs_the_whole_job_and_shows_it(tmp_path: Path) -> None:
    result = run_archivist("demo", "--keep", "demo", cwd=tmp_path, timeout=150)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    archive = tmp_path / "demo" / "archive.db"
    assert f"archive     {archive}" in out and f"ARCHIVIST_DB={archive}" in out
    assert re.search(r"run \d+ of gazette-(feed|sitemap) finished: 6 listed, 6 fetched, 6 new", out)
    assert "the newsroom corrects" in out and "exit status 0" in out
    for section in ("The crawl runs", "The archive's articles", "The corrected article's history",
                    "What the correction changed", "Any question, in SQL"):  # fmt: skip
        assert f"== {section}" in out
    assert "$ archivist runs --db demo/archive.db" in out
    assert "-The city council" in out and "+Correction: an earlier version" in out  # the diff
    assert "removed       'Leave a Reply'" in out and "still there!" not in out
    assert re.search(r"^changed\s+1$", out, re.MULTILINE)  # the sql example: one changed fetch
    url = "sqlite:///" + str(archive)
    (versions,) = rows(url, "select max(version_count) from documents")
    assert versions == (2,)
    assert rows(url, "select count(*) from documents") == [(6,)]
    assert rows(url, "select count(*) from crawl_runs where status not in ('finished')") == [(0,)]
    log = (tmp_path / "demo" / "worker.log").read_text()
    assert "event=run.finished" in log and "event=worker.stopped" in log
    # Run again in the same place: the earlier demo's archive is replaced by a fresh one.
    assert prepare_archive(tmp_path / "demo") == archive and not archive.exists()


def test_demo_will_not_replace_an_archive_that_is_not_a_demo(tmp_path: Path) -> None:
    archive = tmp_path / "archive.db"
    engine = open_archive(f"sqlite:///{archive}")
    with transaction(engine) as session:
        add_source(session, "my-paper", "feed", "http://x.test/feed")
    engine.dispose()
    result = run_archivist("demo", "--keep", str(tmp_path), timeout=60)
    assert result.returncode == 1
    assert "not an earlier demo" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert rows(f"sqlite:///{archive}", "select name from sources") == [("my-paper",)]


@pytest.mark.parametrize("group", [True, False], ids=["ctrl-c", "sigterm-to-the-demo"])
def test_ctrl_c_stops_the_demo_gracefully_and_shows_the_archive(
    tmp_path: Path, group: bool
) -> None:
    # Ctrl-C as a terminal sends it, to the whole foreground process group; or a plain `kill`
    # of the demo alone, which must not leave its worker (in a session of its own) running.
    demo, seen = _demo_after_its_first_run(tmp_path)
    if group:
        os.killpg(demo.pid, signal.SIGINT)
    else:
        os.kill(demo.pid, signal.SIGTERM)
    rest, err = demo.communicate(timeout=60)
    out = "".join(seen) + rest
    assert demo.returncode == 130, out + err
    assert "interrupted: stopping the worker" in out and "exit status 0" in out
    assert "== The crawl runs" in out  # what was archived so far is still shown
    assert "interrupted: the archive so far is in demo" in err and "Traceback" not in out + err
    url = "sqlite:///" + str(tmp_path / "demo" / "archive.db")
    statuses = {status for (status,) in rows(url, "select status from crawl_runs")}
    assert statuses and statuses <= {"finished", "interrupted"}  # never killed, never `failed`
    log = (tmp_path / "demo" / "worker.log").read_text()
    stopped = next(line for line in log.splitlines() if "event=worker.stopped" in line)
    assert "signals=1" in stopped  # one graceful stop: never the second, "at once" signal
    assert not _processes_with(f"worker\0--db\0{url}\0")  # no worker left behind


def test_a_second_ctrl_c_stops_the_demo_at_once_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    demo, _ = _demo_after_its_first_run(tmp_path)
    os.killpg(demo.pid, signal.SIGINT)
    time.sleep(0.2)
    os.killpg(demo.pid, signal.SIGINT)
    _, err = demo.communicate(timeout=60)
    assert demo.returncode == 130, err
    assert "stopped at once" in err and "Traceback" not in err
    url = "sqlite:///" + str(tmp_path / "demo" / "archive.db")
    assert not _processes_with(f"worker\0--db\0{url}\0")
    assert not _processes_with(f"ARCHIVIST_DB={url}\0", "environ")  # nor any of its crawls


def _demo_after_its_first_run(tmp_path: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """`archivist demo` in a process group of its own (a terminal's foreground job), once it
    has printed its first finished run; and the lines it printed up to there."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "demo", "--keep", "demo"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=_as_from_a_shell,
    )  # fmt: skip
    assert demo.stdout is not None
    seen = []
    for line in demo.stdout:
        seen.append(line)
        if re.search(r"run \d+ of gazette-\w+ finished", line):
            break
    return demo, seen


def _as_from_a_shell() -> None:
    """Ctrl-C handled as a shell leaves it to a program: an ignored SIGINT is inherited across
    exec, and a test runner's process may have come to ignore it (Scrapy's second-signal
    handler installs SIG_IGN), which would make the demo deaf to Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _processes_with(part: str, where: str = "cmdline") -> list[str]:
    """The processes whose argv (or environment) holds `part`."""
    found = []
    for entry in Path("/proc").glob(f"[0-9]*/{where}"):
        try:
            text = entry.read_text("utf-8", "replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if part in text:
            found.append(text)
    return found


def test_demo_replaces_an_older_demo_and_refuses_a_file_that_is_no_archive(
    tmp_path: Path,
) -> None:
    older = tmp_path / "older" / "archive.db"
    older.parent.mkdir()
    engine = open_archive(f"sqlite:///{older}")
    with transaction(engine) as session:
        add_source(session, "gazette-feed", "feed", "http://x.test/feed")
    engine.dispose()
    command.downgrade(alembic_config(f"sqlite:///{older}"), "0001")  # left by an older archivist
    assert prepare_archive(older.parent) == older and not older.exists()
    junk = tmp_path / "junk" / "archive.db"
    junk.parent.mkdir()
    junk.write_text("hello")
    result = run_archivist("demo", "--keep", str(junk.parent), timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is not a demo archive (file is not a database)" in result.stderr
    assert junk.read_text() == "hello"  # kept


def _sleeper() -> subprocess.Popen[bytes]:
    """A stand-in worker that exits 0 on its first SIGTERM."""
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        "time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    time.sleep(0.3)  # its handler is in place
    return process


def test_a_second_signal_stops_the_worker_even_when_its_exception_is_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interrupts = Interrupts()
    monkeypatch.setattr("scheduler.demo.INTERRUPTS", interrupts)
    worker = _sleeper()
    interrupts.worker = worker
    with pytest.raises(KeyboardInterrupt):
        interrupts.handle(signal.SIGINT, None)
    assert worker.poll() is None  # the first signal leaves the worker to the demo's stop
    with contextlib.suppress(KeyboardInterrupt):  # raised where Python ignores it
        interrupts.handle(signal.SIGINT, None)
    assert worker.wait(timeout=10) == 0  # the handler itself sent the worker's SIGTERM
    with pytest.raises(KeyboardInterrupt):  # and the stop still reports "at once"
        stop_worker(worker)


def test_a_lost_interrupt_is_not_printed_as_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    class Held:
        pass

    def interrupted(_: object) -> None:
        raise KeyboardInterrupt

    def failed(_: object) -> None:
        raise ValueError("a real error")

    previous, sys.unraisablehook = sys.unraisablehook, quiet_lost_interrupts
    try:
        for callback in (interrupted, failed):
            held = Held()
            _ref = weakref.ref(held, callback)
            del held  # the callback runs now, and its exception is "ignored"
    finally:
        sys.unraisablehook = previous
    err = capsys.readouterr().err
    assert "KeyboardInterrupt" not in err
    assert "ValueError: a real error" in err
