"""Crawl speed and memory: bare Scrapy, naive Scrapy + trafilatura and `archivist crawl`, one run.

    .venv/bin/python bench/crawl_speed.py --corpus ../shared/corpus/wcxb-articles
    .venv/bin/python bench/crawl_speed.py --corpus ... --pages 300 --repeat 1   # a quick look

A loopback site of N article URLs (corpus pages reused under distinct URLs) with a feed and a
sitemap is served by an aiohttp server in its own process (ETag / Last-Modified and 304 answers,
like nginx for static files). Each crawler runs as its own process with the same Scrapy
politeness settings (robots.txt, per-domain concurrency, AutoThrottle); pages/s is pages over
the process's wall time (start-up included), peak RSS is the sum over the process tree, sampled
every 100 ms. Figures are medians of --repeat runs. The CPU limit is trafilatura's `extract()`
alone over the same pages on one process per core, no network.

Targets (issue 3, on the machine it runs on): first crawl >= 1.8x the naive baseline and >= 85%
of the CPU limit; the unchanged revisit pass >= 10x the first crawl; peak RSS < 500 MB and flat.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAST_MODIFIED = "Mon, 02 Nov 2026 08:00:00 GMT"
TARGETS = {"vs_naive": 1.8, "vs_cpu_limit": 0.85, "revisit_vs_first": 10.0, "rss_mb": 500.0}


# --- the site: an aiohttp server in its own process --------------------------------------------


def corpus_pages(corpus: Path) -> list[bytes]:
    """The corpus's raw HTML pages, in a stable order."""
    return [gzip.decompress(p.read_bytes()) for p in sorted((corpus / "html").glob("*.html.gz"))]


def serve(corpus: Path, pages: int, port_file: Path, validators: bool) -> None:
    """Serve N article URLs, /feed.xml, /sitemap.xml and /robots.txt until killed."""
    from aiohttp import web

    bodies = corpus_pages(corpus)

    async def article(request: web.Request) -> web.StreamResponse:
        number = int(request.match_info["n"])
        if number >= pages:
            raise web.HTTPNotFound()
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if validators:
            etag = f'"a{number}"'
            headers.update(ETag=etag, **{"Last-Modified": LAST_MODIFIED})
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=bodies[number % len(bodies)], headers=headers)

    async def listing(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        if request.path == "/feed.xml":
            return web.Response(text=feed_xml(base, pages), content_type="application/rss+xml")
        return web.Response(text=sitemap_xml(base, pages), content_type="application/xml")

    async def robots(_: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    app = web.Application()
    app.router.add_get("/a/{n}/", article)
    app.router.add_get("/feed.xml", listing)
    app.router.add_get("/sitemap.xml", listing)
    app.router.add_get("/robots.txt", robots)
    asyncio.run(_listen(app, port_file))


async def _listen(app: object, port_file: Path) -> None:
    """Listen on a free loopback port, write it to `port_file`, serve forever."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)  # type: ignore[arg-type]
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    port_file.write_text(str(runner.addresses[0][1]))
    await asyncio.Event().wait()


def feed_xml(base: str, pages: int) -> str:
    items = "".join(
        f"<item><title>Article {n}</title><link>{base}/a/{n}/</link>"
        f"<pubDate>{LAST_MODIFIED}</pubDate></item>"
        for n in range(pages)
    )
    channel = f"<channel><title>Bench</title>{items}</channel>"
    return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>"


def sitemap_xml(base: str, pages: int) -> str:
    urls = "".join(
        f"<url><loc>{base}/a/{n}/</loc><lastmod>2026-11-02</lastmod></url>" for n in range(pages)
    )
    return f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"


class Site:
    """The server process, started with `--serve` in a child interpreter."""

    def __init__(self, corpus: Path, pages: int, validators: bool = True) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="crawl-bench-site-"))
        port_file = self.dir / "port"
        args = [sys.executable, __file__, "--serve", "--corpus", str(corpus),
                "--pages", str(pages), "--port-file", str(port_file)]  # fmt: skip
        if not validators:
            args.append("--no-validators")
        self.process = subprocess.Popen(args)
        while not port_file.exists() or not port_file.read_text():
            if self.process.poll() is not None:
                raise SystemExit("the bench site did not start")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{port_file.read_text()}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


# --- measuring a process tree ------------------------------------------------------------------


def tree_pids(root: int) -> list[int]:
    """`root` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_memory(pids: list[int]) -> tuple[int, int]:
    """Summed RSS and PSS (bytes) of the processes.

    RSS counts memory shared between processes once per process; PSS splits it among them.
    """
    rss = sum(_kib(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    return rss, sum(_kib(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kib(path: str, field_name: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field_name):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Measured:
    """One process run: wall seconds, RSS samples, its stdout."""

    seconds: float
    rss: list[int] = field(default_factory=list)
    pss: list[int] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds of the whole tree: what a busy shared machine cannot blur
    stdout: str = ""
    pages: int = 0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu / max(self.pages, 1)

    @property
    def peak_mb(self) -> float:
        return max(self.rss, default=0) / 1e6

    @property
    def peak_pss_mb(self) -> float:
        return max(self.pss, default=0) / 1e6

    def half_peaks_mb(self) -> tuple[float, float]:
        """Peak RSS in the first and second half of the run (flat memory: about equal)."""
        half = len(self.rss) // 2
        return max(self.rss[:half], default=0) / 1e6, max(self.rss[half:], default=0) / 1e6


def measure(args: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a command, sampling its process tree's RSS every 100 ms."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})}, cwd=ROOT,
    )  # fmt: skip
    samples: list[tuple[int, int]] = []
    used: dict[int, float] = {}

    def sample() -> None:
        while process.poll() is None:
            pids = tree_pids(process.pid)
            samples.append(tree_memory(pids))
            for pid in pids:
                used[pid] = max(used.get(pid, 0.0), cpu_seconds(pid) or 0.0)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])}... failed ({process.returncode}):\n{err[-2000:]}")
    rss, pss = [r for r, _ in samples], [p for _, p in samples]
    return Measured(seconds, rss, pss, sum(used.values()), out)


# --- the crawlers ------------------------------------------------------------------------------


def spider_main(kind: str, base: str, pages: int) -> None:
    """`--spider bare|naive`: a plain Scrapy spider over the site; prints the item count."""
    import scrapy
    import trafilatura
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import crawl_settings

    class Plain(scrapy.Spider):
        name = "plain"

        async def start(self) -> Iterator[scrapy.Request]:  # type: ignore[override]
            for n in range(pages):
                yield scrapy.Request(f"{base}/a/{n}/", callback=self.parse)

        def parse(self, response: scrapy.http.Response) -> Iterator[dict[str, object]]:
            if kind == "naive":
                yield {"url": response.url, "text": trafilatura.extract(response.text)}
            else:
                yield {"url": response.url, "size": len(response.body)}

    settings = crawl_settings({"ITEM_PIPELINES": {}, "DOWNLOADER_MIDDLEWARES": {}})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Plain)
    count = [0]

    def scraped() -> None:  # a named function: Scrapy holds signal receivers weakly
        count[0] += 1

    crawler.signals.connect(scraped, signals.item_scraped)
    process.crawl(crawler)
    process.start()
    print(count[0])


def run_spider(kind: str, site: Site, pages: int) -> tuple[float, Measured]:
    measured = measure([sys.executable, __file__, "--spider", kind, "--base", site.base,
                        "--pages", str(pages)])  # fmt: skip
    measured.pages = int(measured.stdout.strip().splitlines()[-1])
    return measured.pages / measured.seconds, measured


def archivist(*args: str) -> list[str]:
    return [sys.executable, "-m", "scheduler", *args]


ARCHIVIST_PASSES = {
    # name: (extra crawl options, the run's count that says how many pages the pass covered)
    "first": ((), "fetched"),
    "second": ((), "discovered"),  # listing dates unchanged, nothing due: nothing fetched
    "recheck": (("-s", "ARCHIVIST_REVISIT_ALL=true"), "fetched"),  # conditional GET of all
}


def add_bench_source(site: Site, db: str) -> None:
    """The loopback site's sitemap as source `bench` of the archive at `db`."""
    add = archivist("source", "add", "bench", "--sitemap", f"{site.base}/sitemap.xml",
                    "--every", "1h", "--db", db)  # fmt: skip
    subprocess.run(add, check=True, capture_output=True, cwd=ROOT)


def run_archivist(site: Site, workdir: Path) -> dict[str, tuple[float, Measured]]:
    """A first crawl into a fresh SQLite archive, a second one, and a forced re-check of all."""
    db = f"sqlite:///{workdir / 'archive.db'}"
    add_bench_source(site, db)
    results = {}
    for name, (extra, covered) in ARCHIVIST_PASSES.items():
        measured = measure(archivist("crawl", "bench", "--json", "--db", db, *extra))
        run = json.loads(measured.stdout.strip().splitlines()[-1])
        print(f"  {name}: {json.dumps({k: v for k, v in run.items() if isinstance(v, int)})}",
              file=sys.stderr)  # fmt: skip
        measured.pages = run[covered]
        results[name] = (run[covered] / measured.seconds, measured)
    return results


def extract_one(html: bytes) -> float:
    """CPU seconds trafilatura.extract takes on one page."""
    import trafilatura

    start = time.process_time()
    trafilatura.extract(html.decode("utf-8", "replace"))
    return time.process_time() - start


def cpu_limit(corpus: Path, pages: int) -> tuple[float, float]:
    """trafilatura.extract alone over the same N pages, one process per core: pages/s, CPU ms."""
    bodies = corpus_pages(corpus)
    work = [bodies[n % len(bodies)] for n in range(pages)]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(extract_one, work[: os.cpu_count() or 1]))  # warm the workers up
        start = time.perf_counter()
        used = sum(pool.map(extract_one, work, chunksize=4))
        return pages / (time.perf_counter() - start), 1000 * used / pages


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Medians over the repeats: pages/s, CPU ms per page, peak RSS and PSS (MB)."""

    rate: float
    cpu_ms: float
    rss: float
    pss: float
    halves: tuple[float, float]  # RSS peaks of the first and second half of the heaviest run


def median_of(runs: list[tuple[float, Measured]]) -> Figures:
    return Figures(
        rate=statistics.median(r for r, _ in runs),
        cpu_ms=statistics.median(m.cpu_ms_per_page for _, m in runs),
        rss=statistics.median(m.peak_mb for _, m in runs),
        pss=statistics.median(m.peak_pss_mb for _, m in runs),
        halves=max((m for _, m in runs), key=lambda m: m.peak_mb).half_peaks_mb(),
    )


def bench(corpus: Path, pages: int, repeat: int, validators: bool) -> None:
    site = Site(corpus, pages, validators)
    runs: dict[str, list[tuple[float, Measured]]] = {
        k: [] for k in ("bare", "naive", *ARCHIVIST_PASSES)
    }
    limits: list[tuple[float, float]] = []
    try:
        for round_no in range(repeat):
            print(f"round {round_no + 1}/{repeat}", file=sys.stderr)
            runs["bare"].append(run_spider("bare", site, pages))
            runs["naive"].append(run_spider("naive", site, pages))
            with tempfile.TemporaryDirectory(prefix="crawl-bench-") as workdir:
                for name, result in run_archivist(site, Path(workdir)).items():
                    runs[name].append(result)
            limits.append(cpu_limit(corpus, pages))
    finally:
        site.stop()
    limit = Figures(
        rate=statistics.median(rate for rate, _ in limits),
        cpu_ms=statistics.median(ms for _, ms in limits),
        rss=0.0, pss=0.0, halves=(0.0, 0.0),
    )  # fmt: skip
    report({name: median_of(found) for name, found in runs.items()}, limit, pages, repeat)


LABELS = {
    "bare": "bare Scrapy (download only)",
    "naive": "naive Scrapy + trafilatura",
    "first": "archivist crawl, first (SQLite)",
    "second": "archivist crawl, second",
    "recheck": "archivist crawl, re-check all (304)",
    "limit": "CPU limit: trafilatura alone",
}
PARALLEL = {"first", "limit"}  # spread over every core; the others run in one process


def projected(name: str, figures: Figures) -> float:
    """Pages/s on this machine with no other load: usable cores over CPU time per page."""
    cores = (os.cpu_count() or 1) if name in PARALLEL else 1
    return cores * 1000 / figures.cpu_ms if figures.cpu_ms else 0.0


def report(figures: dict[str, Figures], limit: Figures, pages: int, repeat: int) -> None:
    rows = {**figures, "limit": limit}
    print(f"\n{pages} pages, medians of {repeat}, {os.cpu_count()} cores, "
          f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'':38}{'pages/s':>8}{'CPU ms/p':>9}{'idle p/s':>9}{'RSS MB':>8}{'PSS MB':>8}"
          f"{'RSS 1st/2nd half':>18}")  # fmt: skip
    for name, row in rows.items():
        halves = f"{row.halves[0]:.0f} / {row.halves[1]:.0f}" if row.rss else ""
        memory = f"{row.rss:8.0f}{row.pss:8.0f}" if row.rss else " " * 16
        print(f"{LABELS[name]:38}{row.rate:8.1f}{row.cpu_ms:9.1f}{projected(name, row):9.1f}"
              f"{memory}{halves:>18}")  # fmt: skip
    print("\n'idle p/s' = usable cores x 1000 / CPU ms per page: what the machine gives with no")
    print("other load (the measured pages/s suffer from whatever else runs on a shared machine).")
    for basis, value in (
        ("measured", lambda n: rows[n].rate),
        ("idle", lambda n: projected(n, rows[n])),
    ):
        ratios = {
            "vs_naive": value("first") / value("naive"),
            "vs_cpu_limit": value("first") / value("limit"),
            "revisit_vs_first": value("second") / value("first"),
        }
        print(f"\nratios on {basis} pages/s:")
        for name, ratio in ratios.items():
            print(f"  {name:18} {ratio:6.2f}   target >= {TARGETS[name]:<5} "
                  f"{'ok' if ratio >= TARGETS[name] else 'MISSED'}")  # fmt: skip
    peak = max(row.rss for row in figures.values())
    verdict = "ok" if peak < TARGETS["rss_mb"] else "MISSED"
    print(
        f"\npeak RSS of a process tree {peak:.0f} MB   target < {TARGETS['rss_mb']:.0f}   {verdict}"
    )


def memory_over_time(corpus: Path, pages: int, validators: bool, parts: int = 10) -> None:
    """One first crawl of `pages` pages: its process tree's peak RSS in each tenth of the run."""
    site = Site(corpus, pages, validators)
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as workdir:
            db = f"sqlite:///{Path(workdir) / 'archive.db'}"
            add_bench_source(site, db)
            measured = measure(archivist("crawl", "bench", "--json", "--db", db))
    finally:
        site.stop()
    run = json.loads(measured.stdout.strip().splitlines()[-1])
    size = max(len(measured.rss) // parts, 1)
    peaks = [max(measured.rss[i : i + size]) / 1e6 for i in range(0, size * parts, size)]
    print(f"\n{run['fetched']} pages fetched in {measured.seconds:.0f} s "
          f"({run['fetched'] / measured.seconds:.1f} pages/s), {run['errors']} errors")  # fmt: skip
    print(f"peak RSS of the process tree per tenth of the run (MB): "
          f"{' '.join(f'{p:.0f}' for p in peaks)}")  # fmt: skip
    print(f"overall peak {measured.peak_mb:.0f} MB   target < {TARGETS['rss_mb']:.0f}; "
          f"last tenth / second tenth = {peaks[-1] / peaks[1]:.2f} (flat: about 1)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/wcxb-articles")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-validators",
        action="store_true",
        help="Serve no ETag/Last-Modified: revisits download every body.",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="Only one archivist first crawl of --pages pages: peak RSS per tenth of the run "
        "(is memory flat over a long crawl?).",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--spider", choices=("bare", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.corpus, args.pages, args.port_file, not args.no_validators)
    elif args.spider:
        spider_main(args.spider, args.base, args.pages)
    elif args.memory:
        memory_over_time(args.corpus, args.pages, not args.no_validators)
    else:
        bench(args.corpus, args.pages, args.repeat, not args.no_validators)


if __name__ == "__main__":
    main()
