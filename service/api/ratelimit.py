"""Per-key and per-client rate limits (the `limits` package, moving window, in memory): 429 with Retry-After.

A request with a configured key counts against that key (HELPDESK_RATE_LIMIT_PER_KEY); every request counts
against its client address (HELPDESK_RATE_LIMIT_PER_CLIENT). Only the API and the UI's actions are counted, not
health checks, metrics or the UI's static files. Counts live in the process: several workers each count their own.
"""

from __future__ import annotations

import hashlib
import json
import math
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from common.settings import ServiceSettings
from service.api.auth import key_matches

# Gradio's endpoint for every UI action (a question, a draft, an upload).
_UI_ACTIONS = ("/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/")


class RateLimitSettingError(ValueError):
    pass


def _parse(value: str, name: str):
    try:
        return parse_many(value) if value.strip() else []
    except ValueError as exc:
        raise RateLimitSettingError(f"{name}={value!r} is not a rate like '120/minute': {exc}") from exc


def check_settings(settings: ServiceSettings) -> None:
    """Raise RateLimitSettingError now (at start) rather than on the first request."""
    _parse(settings.rate_limit_per_key, "HELPDESK_RATE_LIMIT_PER_KEY")
    _parse(settings.rate_limit_per_client, "HELPDESK_RATE_LIMIT_PER_CLIENT")


class RateLimit:
    def __init__(self, app, settings: ServiceSettings, metrics=None) -> None:
        self.app = app
        self.per_key = _parse(settings.rate_limit_per_key, "HELPDESK_RATE_LIMIT_PER_KEY")
        self.per_client = _parse(settings.rate_limit_per_client, "HELPDESK_RATE_LIMIT_PER_CLIENT")
        self.keys = settings.keys("api") + settings.keys("admin")
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.metrics = metrics

    def _key_of(self, scope) -> str | None:
        header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or not key_matches(token, self.keys):
            return None  # an unknown key is no key: it must not buy a budget of its own
        return hashlib.sha256(token.encode()).hexdigest()[:16]

    def _exceeded(self, scope) -> float | None:
        """Seconds until the request would be allowed, or None when it is within every limit."""
        checks = []
        if self.per_key and (key := self._key_of(scope)):
            checks += [(item, "key", key) for item in self.per_key]
        client = (scope.get("client") or ("unknown", 0))[0]
        checks += [(item, "client", client) for item in self.per_client]
        wait = None
        for item, kind, identity in checks:
            if not self.limiter.hit(item, kind, identity):
                reset = self.limiter.get_window_stats(item, kind, identity).reset_time
                wait = max(wait or 0.0, reset - time.time())
        return wait

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not (scope["path"].startswith("/v1/") or scope["path"].startswith(_UI_ACTIONS)):
            return await self.app(scope, receive, send)
        wait = self._exceeded(scope)
        if wait is None:
            return await self.app(scope, receive, send)
        retry_after = max(1, math.ceil(wait))
        if self.metrics is not None:
            self.metrics.rate_limited.inc()
        body = json.dumps({"error": {"code": "rate_limited",
                                     "message": f"too many requests; retry in {retry_after} s"}}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", str(retry_after).encode()),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
