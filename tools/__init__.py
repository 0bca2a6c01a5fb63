"""Developer tools outside the wheel: the explorer's latency bench (make bench-widgets), shared with the
browser tests."""
