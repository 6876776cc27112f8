"""Timing for the benchmarks: the best of several wall-clock runs (the least disturbed by other work)."""

import time


def best(function, repeat):
    """The shortest wall time, in seconds, of `repeat` calls of `function()`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)
