"""A tiny Prometheus registry and text exposition (format 0.0.4), written by hand.

`prometheus_client` is not in podid's lock file; the agent needs only labelled counters and a few
gauges, so a ~80-line registry keeps the dependency list unchanged. Metric names follow the real
agent where it has one (`pod_identity_http_response`, `pod_identity_cache_state`,
`pod_identity_cache_errors`); podid-only metrics are prefixed `podid_agent_`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Counter:
    """A monotonically increasing labelled counter."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.labels = name, help_text, labels
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, *label_values: str, amount: float = 1.0) -> None:
        """Add `amount` to the series named by `label_values` (same order as `labels`)."""
        if len(label_values) != len(self.labels):
            raise ValueError(f"{self.name}: expected labels {self.labels}")
        with self._lock:
            self._values[label_values] = self._values.get(label_values, 0.0) + amount

    def value(self, *label_values: str) -> float:
        """Current value of one series (0 when never incremented)."""
        return self._values.get(label_values, 0.0)

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        """(suffix-less name, label values, value) triples."""
        with self._lock:
            return [(self.name, k, v) for k, v in sorted(self._values.items())]


class Gauge:
    """An unlabelled gauge whose value is read from a callback at scrape time."""

    kind = "gauge"
    labels: tuple[str, ...] = ()

    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.name, self.help, self._read = name, help_text, read

    def samples(self) -> list[tuple[str, tuple[str, ...], float]]:
        """One sample: the callback's current value."""
        return [(self.name, (), float(self._read()))]


class Registry:
    """An ordered set of metrics rendered together."""

    def __init__(self) -> None:
        self._metrics: list[Counter | Gauge] = []

    def counter(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> Counter:
        """Create and register a counter."""
        metric = Counter(name, help_text, labels)
        self._metrics.append(metric)
        return metric

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> Gauge:
        """Create and register a callback gauge."""
        metric = Gauge(name, help_text, read)
        self._metrics.append(metric)
        return metric

    def render(self) -> str:
        """The text exposition of every registered metric."""
        lines: list[str] = []
        for metric in self._metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            for name, values, value in metric.samples():
                if values:
                    pairs = ",".join(
                        f'{k}="{_escape(v)}"' for k, v in zip(metric.labels, values, strict=True)
                    )
                    lines.append(f"{name}{{{pairs}}} {_fmt(value)}")
                else:
                    lines.append(f"{name} {_fmt(value)}")
        return "\n".join(lines) + "\n"


class AgentMetrics:
    """The agent's metric set."""

    def __init__(self) -> None:
        self.registry = Registry()
        r = self.registry
        self.http_response = r.counter(
            "pod_identity_http_response", "Pod Identity http response code", ("code",)
        )
        self.cache_state = r.counter(
            "pod_identity_cache_state", "The state of credential in cache", ("state",)
        )
        self.cache_errors = r.counter(
            "pod_identity_cache_errors",
            "Removing credentials from cache, got non recoverable error",
            ("type", "code"),
        )
        self.upstream_calls = r.counter(
            "podid_agent_upstream_calls_total", "AssumeRoleForPodIdentity calls by outcome", ("outcome",)
        )
        self.upstream_seconds = r.counter(
            "podid_agent_upstream_seconds_total", "Total seconds spent in AssumeRoleForPodIdentity calls"
        )
