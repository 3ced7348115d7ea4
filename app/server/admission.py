"""Admission checks for sockets: the Origin allowlist and a per-connection rate limit."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from app.server.settings import Settings


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """No Origin (a script, not a browser) is allowed; a browser must come from an allowed page.

    The default allowlist is the page's own origin: the Origin's host:port equals the Host
    header the browser sent to us. `BPL_ALLOWED_ORIGINS` adds more (e.g. a proxy's public URL).
    """
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in settings.allowed_origins or "*" in settings.allowed_origins:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or host is None:
        return False
    return parts.netloc.lower() == host.lower()


class RateLimiter:
    """A token bucket: `rate` messages per second with bursts of `burst`.

    Messages over the limit are refused ("limited"); when the refusals keep coming for longer
    than `abuse_after_s` the connection is closed ("abuse").
    """

    def __init__(self, rate: float, burst: int, abuse_after_s: float = 5.0) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.abuse_after_s = abuse_after_s
        self._last = time.monotonic()
        self._limited_since: float | None = None
        self._last_warning = 0.0

    def take(self) -> str:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            if self.tokens >= self.burst / 2:
                self._limited_since = None
            return "ok"
        if self._limited_since is None:
            self._limited_since = now
        if now - self._limited_since > self.abuse_after_s:
            return "abuse"
        return "limited"

    def should_warn(self) -> bool:
        """One `rate_limited` error per second at most: errors must not feed the flood."""
        now = time.monotonic()
        if now - self._last_warning >= 1.0:
            self._last_warning = now
            return True
        return False
