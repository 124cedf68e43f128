"""Extraction quality on a labelled corpus: trafilatura alone against our pipeline, one run.

    .venv/bin/python bench/extraction_quality.py --corpus ../shared/corpus/wcxb-articles

The corpus holds `html/<id>.html.gz`, `ground-truth.json` ({id: {articleBody, url}}) and
`snippets.json` ({id: {title, with: [...], without: [...]}}). The metric is the scrapinghub
article-extraction-benchmark's: `\\w+` tokens (case-sensitive) -> multiset of 4-token shingles
(a 1-3 token text is one shingle); precision is the mean over pages with a non-empty output,
recall the mean over all pages, F1 the harmonic mean of the two means. A snippet is "in" an
output when its `\\w+` tokens occur there in a row (case-sensitive, punctuation ignored): the
"without" column counts pages whose output holds any not-article snippet, "with" is the share
of must-keep snippets kept. WCXB cuts long snippets at 80 characters, often inside a word, and
a few hold HTML entities: snippets are unescaped, and the last word of an 80-character snippet
may be the start of a longer word (otherwise 43 of the "with" snippets match no text at all,
the ground truth's included). Blocked or empty readings count as empty outputs.

The baseline is trafilatura's `extract(html, url=...)` with its defaults except
`include_comments=False` (reader comments are not article text; this is the configuration behind
the published trafilatura figures for this corpus, and the stronger baseline).

Both extractors run on the same page in the same worker, one after the other, each timed there;
the time ratio is ours over trafilatura's median milliseconds per page. Our reading runs a third
time with stock trafilatura (crawler/pages/shortcuts.py out of place): the shortcuts must change
no page's output. `--check-floor` exits 1 when a figure falls below FLOORS (or above CEILINGS);
CI runs it.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import trafilatura

from crawler.pages.shortcuts import SHORTCUTS
from crawler.reading import BlockedPage, NotAnArticle, read_article

# Floors for --check-floor, a little under what the pipeline reaches (F1 0.9502, P 0.9450,
# R 0.9555, 10 pages with a "without" snippet, 97.0% of "with" snippets kept, time ratio
# 0.86-1.03 on 2 shared cores), so quality can only go up. The time ceiling leaves room for a
# noisy CI machine; the shortcuts through trafilatura may change no output at all.
FLOORS = {"f1": 0.948, "precision": 0.943, "recall": 0.953, "with_kept": 0.966}
CEILINGS = {"without_pages": 12, "time_ratio": 1.05, "changed_by_shortcuts": 0}

TOKEN = re.compile(r"\w+")
SHINGLE = 4
SNIPPET_CUT = 80  # WCXB's longest snippet: one this long was cut, maybe inside its last word


@dataclass(frozen=True)
class PageRun:
    """One page, read by both extractors."""

    page_id: str
    baseline: str
    baseline_ms: float
    ours: str
    ours_ms: float
    ours_outcome: str
    same_without_shortcuts: bool  # our reading is the same with stock trafilatura


@dataclass(frozen=True)
class Scores:
    """One extractor's figures over the corpus."""

    name: str
    precision: float
    recall: float
    f1: float
    without_pages: int
    with_kept: float
    median_ms: float
    empty_pages: int


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """The multiset of 4-token shingles of a text (a shorter text is one shingle)."""
    tokens = TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < SHINGLE:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def overlap(predicted: str, expected: str) -> tuple[float | None, float]:
    """Per-page precision (None for an empty output) and recall."""
    pred, true = shingles(predicted), shingles(expected)
    hits = sum((pred & true).values())
    precision = hits / sum(pred.values()) if pred else None
    recall = hits / sum(true.values()) if true else 0.0
    return precision, recall


def contains(text: str, snippet: str) -> bool:
    """Whether the snippet's `\\w+` tokens occur in the text's, in a row (case-sensitive, like
    the shingle metric; punctuation and spacing differences ignored); a snippet cut at
    SNIPPET_CUT characters may end inside a word."""
    words = TOKEN.findall(html.unescape(snippet))
    end = "" if len(snippet) == SNIPPET_CUT else " "
    return bool(words) and f" {' '.join(words)}{end}" in f" {' '.join(TOKEN.findall(text))} "


def run_page(page_id: str, path: str, url: str) -> PageRun:
    """Read one page with both extractors; module-level so the pool can pickle it."""
    body = gzip.decompress(Path(path).read_bytes())
    start = time.perf_counter()
    baseline = trafilatura.extract(body, url=url, include_comments=False) or ""
    middle = time.perf_counter()
    ours, outcome = read(url, body)
    end = time.perf_counter()
    with SHORTCUTS.disabled():
        stock = read(url, body)
    baseline_ms, ours_ms = (middle - start) * 1e3, (end - middle) * 1e3
    return PageRun(page_id, baseline, baseline_ms, ours, ours_ms, outcome, stock == (ours, outcome))


def read(url: str, body: bytes) -> tuple[str, str]:
    """Our reading of a page, and its outcome."""
    try:
        return read_article(url, body).text, "ok"
    except (NotAnArticle, BlockedPage) as exc:
        return "", type(exc).__name__


def score(name: str, outputs: dict[str, str], ms: list[float], corpus: Corpus) -> Scores:
    """Precision, recall, F1 and snippet figures for one extractor's outputs."""
    precisions, recalls = [], []
    for page_id, text in outputs.items():
        precision, recall = overlap(text, corpus.truth[page_id]["articleBody"])
        recalls.append(recall)
        if precision is not None:
            precisions.append(precision)
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls)
    leaky = [i for i, t in outputs.items() if any(contains(t, s) for s in corpus.without(i))]
    kept = [contains(t, s) for i, t in outputs.items() for s in corpus.with_(i)]
    return Scores(
        name=name,
        precision=p,
        recall=r,
        f1=2 * p * r / (p + r) if p + r else 0.0,
        without_pages=len(leaky),
        with_kept=sum(kept) / len(kept) if kept else 1.0,
        median_ms=statistics.median(ms),
        empty_pages=sum(1 for t in outputs.values() if not t.strip()),
    )


class Corpus:
    """The labelled pages of one corpus folder."""

    def __init__(self, folder: Path, limit: int | None) -> None:
        self.folder = folder
        self.truth: dict[str, dict[str, str]] = json.loads(
            (folder / "ground-truth.json").read_text()
        )
        snippets_file = folder / "snippets.json"
        self.snippets = json.loads(snippets_file.read_text()) if snippets_file.exists() else {}
        self.ids = sorted(self.truth)[:limit]

    def without(self, page_id: str) -> list[str]:
        return list(self.snippets.get(page_id, {}).get("without", []))

    def with_(self, page_id: str) -> list[str]:
        return list(self.snippets.get(page_id, {}).get("with", []))

    def jobs(self) -> Iterable[tuple[str, str, str]]:
        for page_id in self.ids:
            path = self.folder / "html" / f"{page_id}.html.gz"
            yield page_id, str(path), self.truth[page_id]["url"]


def run_corpus(corpus: Corpus, workers: int) -> list[PageRun]:
    """Every page through both extractors, spread over a process pool."""
    ids, paths, urls = zip(*corpus.jobs(), strict=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_page, ids, paths, urls, chunksize=4))


def table(rows: list[Scores], ratio: float) -> str:
    """A small aligned table of both rows."""
    head = (
        f"{'extractor':<24}{'P':>7}{'R':>7}{'F1':>7}{'without':>9}{'with':>8}{'ms':>7}{'empty':>7}"
    )
    lines = [head]
    for s in rows:
        lines.append(
            f"{s.name:<24}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
            f"{s.without_pages:>9d}{s.with_kept:>8.1%}{s.median_ms:>7.1f}{s.empty_pages:>7d}"
        )
    lines.append(f"time ratio (ours / trafilatura, median ms per page): {ratio:.2f}")
    return "\n".join(lines)


def floor_failures(ours: Scores, ratio: float, changed: int) -> list[str]:
    """Which stored floors (and ceilings) the pipeline's figures break."""
    figures = {**asdict(ours), "time_ratio": ratio, "changed_by_shortcuts": changed}
    failures = [f"{k} {figures[k]:.4f} < floor {v}" for k, v in FLOORS.items() if figures[k] < v]
    failures += [f"{k} {figures[k]} > ceiling {v}" for k, v in CEILINGS.items() if figures[k] > v]
    return failures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="the corpus folder")
    parser.add_argument("--limit", type=int, help="only the first N pages (by id)")
    parser.add_argument("--check-floor", action="store_true", help="exit 1 below the floors")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--dump", type=Path, help="write every page's two outputs to this JSON")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.check_floor and args.limit:
        sys.exit("--check-floor measures the whole corpus: drop --limit")
    corpus = Corpus(args.corpus, args.limit)
    runs = run_corpus(corpus, args.jobs)
    baseline = score(
        f"trafilatura {trafilatura.__version__}",
        {r.page_id: r.baseline for r in runs},
        [r.baseline_ms for r in runs],
        corpus,
    )
    ours = score("archivist", {r.page_id: r.ours for r in runs}, [r.ours_ms for r in runs], corpus)
    if args.dump:
        args.dump.write_text(json.dumps([asdict(r) for r in runs], ensure_ascii=False, indent=1))
    ratio = ours.median_ms / baseline.median_ms
    changed = sum(1 for r in runs if not r.same_without_shortcuts)
    if args.json:
        report = {"pages": len(runs), "baseline": asdict(baseline), "ours": asdict(ours)}
        figures = {"time_ratio": ratio, "changed_by_shortcuts": changed}
        print(json.dumps({**report, **figures}, indent=2))
    else:
        print(f"{len(runs)} pages from {args.corpus}")
        print(table([baseline, ours], ratio))
        print(f"shortcuts in place: {', '.join(SHORTCUTS.names) or 'none'}")
        print(f"pages our reading gives otherwise with stock trafilatura: {changed}")
    failures = floor_failures(ours, ratio, changed) if args.check_floor else []
    for failure in failures:
        print(f"below floor: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
