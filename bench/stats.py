"""The figures every benchmark reports: median, p99, throughput, and ratios between runs."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default): ``q`` in 0…100."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summarize(latencies: Sequence[float], *, seconds: float, errors: int = 0) -> dict:
    """``latencies`` in seconds of the successful requests completed in a window of ``seconds``."""
    if seconds <= 0:
        raise ValueError("the measuring window must be positive")
    data = sorted(latencies)
    out = {"requests": len(data), "errors": errors, "seconds": round(seconds, 3), "rps": round(len(data) / seconds, 1)}
    if data:
        out.update(
            median_ms=round(percentile(data, 50) * 1000, 3),
            p90_ms=round(percentile(data, 90) * 1000, 3),
            p99_ms=round(percentile(data, 99) * 1000, 3),
            mean_ms=round(sum(data) / len(data) * 1000, 3),
            max_ms=round(data[-1] * 1000, 3),
        )
    return out


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def compare(b: dict, a: dict) -> dict:
    """``b`` relative to ``a``, measured in the same run: throughput and latency ratios."""
    return {
        "throughput": ratio(b.get("rps"), a.get("rps")),
        "median_latency": ratio(b.get("median_ms"), a.get("median_ms")),
        "p99_latency": ratio(b.get("p99_ms"), a.get("p99_ms")),
    }
