"""The service layer's clock: one place that reads the time, in the store's unit.

The store never reads the clock; use cases decide when something happened and hand the
instant down (`at_us`), so one write stamps every row it touches with the same time.
"""

from __future__ import annotations

import time


def now_us() -> int:
    """Now, in microseconds since the epoch (what every `*_us` column holds)."""
    return time.time_ns() // 1000
