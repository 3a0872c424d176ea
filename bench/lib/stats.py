"""Statistics of a run: medians, nearest-rank percentiles, and latencies with their errors."""

from __future__ import annotations

import math
import statistics
import threading
from dataclasses import dataclass, field


def median_ms(samples: list[float]) -> float:
    """The median of `samples` (seconds), in milliseconds."""
    return statistics.median(samples) * 1000


@dataclass
class Route:
    """Requests of one kind made by this script: latencies (seconds) and errors."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def failed(self, kind: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def row(self, duration: float) -> list[str]:
        """Requests made, successful ones per second, latency percentiles (ms) and errors."""
        done = sorted(self.latencies)
        return [
            self.name,
            f"{len(done) + self.errors:,}",
            f"{len(done) / duration:,.1f}",
            *(f"{percentile(done, p) * 1000:,.0f}" if done else "-" for p in (50, 95, 99)),
            error_text(self.errors, self.error_kinds),
        ]


def percentile(ordered: list[float], p: float) -> float:
    """The nearest-rank percentile of an already sorted list."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def error_text(count: int, kinds: dict[str, int]) -> str:
    if not count:
        return "0"
    return f"**{count}** (" + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) + ")"
