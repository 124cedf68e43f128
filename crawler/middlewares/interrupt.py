"""The first Ctrl-C (or SIGTERM) sends no new request: the ones on the wire finish, the rest drop.

Scrapy's graceful stop waits for every request handed to its downloader, including those only
queued in a downloader slot for the per-domain concurrency or an AutoThrottle delay: a stopped
crawl of a slow site kept starting new requests for seconds (minutes with timeouts and
retries). This extension wraps the SIGINT/SIGTERM handlers CrawlerProcess installs: the first
signal fails every queued request with `Interrupted` (an IgnoreRequest, so errbacks can tell
it apart and RetryMiddleware leaves it alone), holds back any that reach a slot afterwards,
and hands over to Scrapy's handler, which stops the crawl and makes a second signal stop it
at once.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import call_later

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], Any]


INTERRUPTED_STAT = "archivist/interrupted"


class Interrupted(IgnoreRequest):
    """A request dropped before it was sent: a signal is stopping the crawl."""


def interrupted(crawler: Crawler) -> bool:
    """Whether a stop signal came: a middleware waiting to send a retry gives up then."""
    return bool(crawler.stats is not None and crawler.stats.get_value(INTERRUPTED_STAT))


class DropUnsentOnSignal:
    """Extension: after the first stop signal, no request still waiting for its turn is sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.interrupted = False
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.reached, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def engine_started(self) -> None:
        from twisted.internet import reactor

        if reactor.running:  # CrawlerProcess installs its handlers once the reactor runs
            self.wrap_handlers()
        else:
            reactor.callWhenRunning(call_later, 0, self.wrap_handlers)

    def wrap_handlers(self) -> None:
        """Put `signalled` in front of the current handlers (not of default or ignored ones)."""
        for signum in STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if callable(handler):
                signal.signal(signum, partial(self.signalled, handler))

    def signalled(self, handler: Handler, signum: int, frame: FrameType | None) -> None:
        """Runs in a signal handler: only schedules the drop (in the reactor) and hands over.

        Scrapy's handler replaces this one with its "second signal stops at once" handler.
        """
        from twisted.internet import reactor

        reactor.callFromThread(self.interrupt)
        handler(signum, frame)

    def interrupt(self) -> None:
        """Drop every queued request; slots send nothing more from here on."""
        self.interrupted = True
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(INTERRUPTED_STAT, True)  # for waits elsewhere: see below
        downloader = self.downloader()
        if downloader is None:
            return
        dropped = 0
        for slot in downloader.slots.values():
            slot.concurrency = 0  # what reaches the slot later waits there, to be dropped
            dropped += self.drop(slot)
        logger.info("Stopping: %d request(s) not yet sent dropped", dropped)

    def reached(self, request: Request) -> None:
        """A request entering a slot after the signal (it had been in a downloader middleware):
        Scrapy queues it right after this signal; it is kept there and dropped next turn."""
        downloader = self.downloader() if self.interrupted else None
        if downloader is None:
            return
        slot = downloader.slots[request.meta[Downloader.DOWNLOAD_SLOT]]
        slot.concurrency = 0
        call_later(0, self.drop, slot)

    def drop(self, slot: Slot) -> int:
        """Fail the requests waiting in `slot`: they end in their errbacks, never retried."""
        dropped = 0
        while slot.queue:
            request, waiting = slot.queue.popleft()
            request.meta["dont_retry"] = True
            waiting.errback(Interrupted("not sent: interrupted by a signal"))
            dropped += 1
        return dropped

    def downloader(self) -> Downloader | None:
        engine = self.crawler.engine
        return engine.downloader if engine is not None else None
