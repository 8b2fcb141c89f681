"""Prometheus metrics: requests and latency per route, answers vs refusals, ingested documents."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("helpdesk_requests_total", "HTTP requests", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("helpdesk_request_seconds", "HTTP request latency", ["route"],
                                 registry=self.registry, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.answers = Counter("helpdesk_answers_total", "Answers by outcome", ["outcome", "composer"],
                               registry=self.registry)
        self.ingested = Counter("helpdesk_ingested_documents_total", "Documents ingested through the API",
                                ["status"], registry=self.registry)
        self.rejected = Counter("helpdesk_rejected_overload_total",
                                "Requests refused by admission: queue full or waited too long", registry=self.registry)
        self.queue_wait = Histogram("helpdesk_queue_wait_seconds", "Time a request waited for a slot", ["lane"],
                                    registry=self.registry, buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.lane_active = Gauge("helpdesk_lane_active", "Requests holding a slot of their lane now", ["lane"],
                                 registry=self.registry)
        self.lane_queued = Gauge("helpdesk_lane_queued", "Requests waiting in line for a slot of their lane now",
                                 ["lane"], registry=self.registry)
        self.rate_limited = Counter("helpdesk_rate_limited_total", "Requests refused by a rate limit (429)",
                                    registry=self.registry)

    def watch_lanes(self, lanes: dict) -> None:
        """Report each lane's slots in use and its queue as they are when scraped."""
        for name, lane in lanes.items():
            self.lane_active.labels(name).set_function(lambda lane=lane: lane.active)
            self.lane_queued.labels(name).set_function(lambda lane=lane: lane.queued)

    def count_answer(self, answerable: bool, composer: str) -> None:
        self.answers.labels("answered" if answerable else "refused", composer).inc()

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Times every HTTP request under its route template (not the raw path: ids would explode the labels)."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def record_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or ("/ui" if not scope["path"].startswith(("/v1", "/metrics", "/healthz", "/readyz")) else "unmatched")
            self.metrics.requests.labels(label, scope["method"], str(status["code"])).inc()
            self.metrics.latency.labels(label).observe(time.perf_counter() - started)
