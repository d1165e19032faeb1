"""What an operator watches in production (issue 15): the service's metrics, in Prometheus's text format.

What the benches measure once, these count all the time: the actions officers and other systems
take, by action and outcome; the deadline sweep's lag and the duration of its batches; the
deadlines it fired, by kind; the notifications' deliveries, by status and attempt; the web's
requests, by route (``web.metrics`` times them and serves ``GET /metrics``).

Several processes (gunicorn's workers, Celery's worker and beat) each count their own; with
``PROMETHEUS_MULTIPROC_DIR`` set to one empty folder for all of them, each writes its values
there and :func:`exposition` adds them up, whichever process is asked (prometheus-client's
multiprocess mode). Without it, a process shows its own counts: ``registrar serve`` is one.

A process that shows no metrics and writes none (a CLI call, a test) counts nothing and never
imports prometheus-client (70 ms): counting starts when the web app is made (:func:`enable`) or
when ``PROMETHEUS_MULTIPROC_DIR`` is set.

Labels are bounded: actions and deadline kinds are the law's (machines, deadlines), outcomes five,
a refusal's rules the ids of the rules file, routes the URL rules (never a URL with its ids).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, StaleVersion

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
_enabled = False


def enable() -> None:
    """Count from now on in this process (the web app, which shows what it counts)."""
    global _enabled
    _enabled = True


def _on() -> Any | None:
    return _metrics() if _enabled or os.environ.get(MULTIPROCESS) else None


_MADE = threading.Lock()


def _metrics() -> Any:
    # Made once: the in-process sweep's thread and a request's may both be first, and a metric
    # registered twice is an error of prometheus-client's registry.
    with _MADE:
        return _made()


@functools.cache
def _made() -> Any:
    from prometheus_client import Counter, Gauge, Histogram

    seconds = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
    return SimpleNamespace(
        actions=Counter(
            "registrar_actions", "Actions on candidacies and elections, by action and outcome (done, refused with the "
            "rules it names, stale, invalid, not_allowed)", ["action", "outcome", "rules"],
        ),
        sweep_lag=Gauge(
            "registrar_sweep_lag_seconds",
            "How long the oldest due deadline had waited when the last sweep took it (0: none was due)",
            multiprocess_mode="max",
        ),
        sweep_batches=Histogram(
            "registrar_sweep_batch_seconds",
            "Duration of one sweep transaction: claiming a batch of due deadlines and applying them", buckets=seconds,
        ),
        deadlines_fired=Counter("registrar_deadlines_fired", "Deadlines the sweep fired, by kind", ["kind"]),
        deliveries=Counter(
            "registrar_deliveries", "Outbox rows attempted, by the status the attempt left (delivered, retrying, "
            "failed, no_contact) and the attempt's number", ["status", "attempt"],
        ),
        requests=Histogram(
            "registrar_request_seconds", "Web requests, by route (its URL rule), method and status",
            ["route", "method", "status"], buckets=seconds[:10],
        ),
    )  # fmt: skip


def exposition() -> tuple[bytes, str]:
    """The metrics as Prometheus reads them (the body and its content type): this process's, or,
    in multiprocess mode, the sum of every process's written to the shared folder."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    _metrics()  # every family is listed, counted or not yet
    if os.environ.get(MULTIPROCESS):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def outcome_of(err: BaseException) -> tuple[str, str]:
    """What an action that raised ``err`` came to, and the rules a refusal names ("" for the others)."""
    if isinstance(err, GuardFailed):
        return "refused", ",".join(sorted({unmet.rule for unmet in err.unmet}))
    if isinstance(err, StaleVersion):
        return "stale", ""
    if isinstance(err, InvalidPayload):
        return "invalid", ""
    if isinstance(err, NotAllowed):
        return "not_allowed", ""
    return "error", ""


@contextlib.contextmanager
def counted(action: str) -> Iterator[None]:
    """Count the action inside by its outcome; what it raises goes on, counted."""
    try:
        yield
    except BaseException as err:
        if (m := _on()) is not None:
            m.actions.labels(action, *outcome_of(err)).inc()
        raise
    if (m := _on()) is not None:
        m.actions.labels(action, "done", "").inc()


@contextlib.contextmanager
def sweep_batch() -> Iterator[None]:
    """Time one sweep transaction."""
    m = _on()
    if m is None:
        yield
        return
    with m.sweep_batches.time():
        yield


def swept(fired: dict[str, int], lag_seconds: float | None) -> None:
    """A sweep's deadlines fired by kind, and its lag (None: it took nothing, so nothing waits)."""
    if (m := _on()) is None:
        return
    for kind, count in fired.items():
        if count:
            m.deadlines_fired.labels(kind).inc(count)
    m.sweep_lag.set(lag_seconds or 0.0)


def delivered(status: str, attempt: int) -> None:
    if (m := _on()) is not None:
        m.deliveries.labels(status, str(attempt)).inc()


def request(route: str, method: str, status: int, seconds: float) -> None:
    if (m := _on()) is not None:
        m.requests.labels(route, method, str(status)).observe(seconds)


__all__ = ["counted", "delivered", "enable", "exposition", "outcome_of", "request", "sweep_batch", "swept"]
