"""What the benchmarks share. The scripts run as `python bench/<name>.py`, so this folder is on
sys.path and they import it as `common`."""

from __future__ import annotations

import math


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0.95 for p95) of `values`, interpolated between the two nearest
    ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
