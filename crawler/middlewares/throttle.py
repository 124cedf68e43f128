"""AutoThrottle that learns from 304 answers too.

Scrapy's AutoThrottle only lowers its delay on 200 responses (small error pages would make it
speed up against a failing site). A revisit pass is mostly 304s: real, timed answers from a
healthy server, so they count like a 200 here; every other status keeps Scrapy's caution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.http import Response


class RevisitAwareAutoThrottle(AutoThrottle):
    """AutoThrottle whose delay also adapts on 304 Not Modified."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
