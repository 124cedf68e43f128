"""The bundled demo news site, served on 127.0.0.1: articles, a feed, a sitemap, robots.txt.

Pages are built from the files in `demo_site/`. Each article page carries the boilerplate real
themes put around and inside articles, and a view counter that changes on every request;
`edit()` publishes a corrected version of one article, as a newsroom would.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SITE = Path(__file__).parent / "demo_site"  # package data, installed next to this module
FIRST_VIEWS = 1187
# What the theme puts inside every article body; none of it may reach the archive.
BOILERPLATE = (
    "This website uses cookies", "views", "Share: Facebook · Twitter · Email",
    "Read also:", "Ad blocker detected!", "Leave a Reply",
    "Your email address will not be published", "Post Comment",
)  # fmt: skip


@dataclass(frozen=True)
class DemoArticle:
    """One article of the demo site."""

    slug: str
    title: str
    author: str
    section: str
    published: str
    edited: bool = False

    @property
    def path(self) -> str:
        """The article's path on the site."""
        return f"/news/{self.slug}/"


def _read(name: str) -> str:
    return (SITE / name).read_text(encoding="utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


class DemoSite:
    """Serves the demo site; thread-safe; counts requests per path."""

    def __init__(self, port: int = 0) -> None:
        self.articles = [DemoArticle(**entry) for entry in json.loads(_read("articles.json"))]
        self.edited_at: datetime | None = None
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """The site's root URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def edited_article(self) -> DemoArticle:
        """The article that `edit()` changes."""
        return next(a for a in self.articles if a.edited)

    def start(self) -> DemoSite:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def edit(self) -> None:
        """Publish the corrected version of the edited article (and its new sitemap date)."""
        # Rounded up: a sitemap date must not look older than a fetch made a moment before.
        self.edited_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    def page(self, path: str) -> tuple[int, str, str]:
        """Status, content type and body for a request path."""
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            views = FIRST_VIEWS + sum(self.hits.values())
        pages = {"/": self._index, "/robots.txt": self._robots, "/feed/": self._feed,
                 "/sitemap.xml": self._sitemap}  # fmt: skip
        if path in pages:
            return pages[path]()
        article = next((a for a in self.articles if a.path == path), None)
        if article is None:
            return 404, "text/html; charset=utf-8", "<h1>Not found</h1>"
        return 200, "text/html; charset=utf-8", self._article(article, views)

    # --- pages ---------------------------------------------------------------------------------

    def _values(self, article: DemoArticle) -> dict[str, str]:
        published = datetime.fromisoformat(article.published)
        modified = self.edited_at if article.edited and self.edited_at else published
        return {
            "BASE": self.base, "SLUG": article.slug, "TITLE": article.title,
            "AUTHOR": article.author, "SECTION": article.section,
            "SECTION_SLUG": article.section.lower(), "PUBLISHED": published.isoformat(),
            "PUBLISHED_HUMAN": published.strftime("%d %B %Y, %H:%M"),
            "PUBLISHED_RFC822": format_datetime(published), "MODIFIED": modified.isoformat(),
        }  # fmt: skip

    def _article(self, article: DemoArticle, views: int) -> str:
        body_file = f"articles/{article.slug}.html"
        if article.edited and self.edited_at is not None:
            body_file = f"articles/{article.slug}.v2.html"
        values = {**self._values(article), **self._chrome(), "VIEWS": f"{views:,}",
                  "BODY": _read(body_file)}  # fmt: skip
        return _fill(_read("layout.html"), values)

    def _chrome(self) -> dict[str, str]:
        # Changes every day and differs between pages: template noise, never a new version.
        links = "".join(
            f'<li><a href="{self.base}{a.path}">{a.title}</a></li>' for a in self.articles
        )
        return {"BASE": self.base, "TODAY": datetime.now(UTC).strftime("%A %d %B %Y"),
                "MOST_READ": links}  # fmt: skip

    def _index(self) -> tuple[int, str, str]:
        return 200, "text/html; charset=utf-8", _fill(_read("index.html"), self._chrome())

    def _robots(self) -> tuple[int, str, str]:
        return 200, "text/plain; charset=utf-8", _fill(_read("robots.txt"), {"BASE": self.base})

    def _feed(self) -> tuple[int, str, str]:
        item = _read("feed_item.xml")
        items = "".join(_fill(item, self._values(a)) for a in self.articles)
        body = _fill(_read("feed.xml"), {"BASE": self.base, "ITEMS": items})
        return 200, "application/rss+xml; charset=utf-8", body

    def _sitemap(self) -> tuple[int, str, str]:
        entry = _read("sitemap_url.xml")
        urls = "".join(_fill(entry, self._values(a)) for a in self.articles)
        return 200, "application/xml; charset=utf-8", _fill(_read("sitemap.xml"), {"URLS": urls})


def _handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content_type, text = site.page(self.path.split("?", 1)[0])
            body = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the demo prints its own story; request lines would drown it

    return Handler
