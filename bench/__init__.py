"""Benchmark harness for maxwork-leads: the real server, wrk, and baselines from the same run."""
