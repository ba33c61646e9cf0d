"""What operators scrape: this process's requests, GraphQL operations and
database pool, in the Prometheus text format at ``/metrics``.

Labels are kept to what the server names, never what a caller sends: paths are
the routes (``other`` for the rest), operations their root fields, outcomes
``OK`` or an error code. So a caller cannot grow the series without end.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool

from core.db import Database

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


class Metrics:
    def __init__(self, database: Database) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "crm_http_requests",
            "HTTP requests answered, by route and status.",
            ["path", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "crm_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["path"],
            registry=self.registry,
        )
        self.operations = Counter(
            "crm_graphql_operations",
            "GraphQL operations, by root fields, type and outcome (OK or the error code).",
            ["operation", "type", "outcome"],
            registry=self.registry,
        )
        self.operation_seconds = Histogram(
            "crm_graphql_operation_duration_seconds",
            "Time to execute a GraphQL operation, by root fields and type.",
            ["operation", "type"],
            registry=self.registry,
        )
        self.registry.register(DatabasePool(database))

    def observe_request(self, path: str, status: int, seconds: float) -> None:
        route = path if path in ROUTES else "other"
        self.requests.labels(route, str(status)).inc()
        self.request_seconds.labels(route).observe(seconds)

    def observe_operation(self, operation: str, kind: str, outcome: str, seconds: float) -> None:
        self.operations.labels(operation, kind, outcome).inc()
        self.operation_seconds.labels(operation, kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DatabasePool(Collector):
    """The connection pool, read when scraped (PostgreSQL's; SQLite opens a
    connection per session and has no pool to watch)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.database.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return
        figures = {
            "crm_db_pool_size": ("Connections the pool keeps.", pool.size()),
            "crm_db_pool_checked_out": ("Connections in use.", pool.checkedout()),
            "crm_db_pool_overflow": ("Connections opened beyond the pool's size.", pool.overflow()),
        }
        for name, (documentation, value) in figures.items():
            yield GaugeMetricFamily(name, documentation, value=value)
