"""The short soak inside ``make test``: four scenarios x both trackers under faults.

30% 5xx, 10% dropped connections, 200-500 ms latency and a 40 requests/minute rate limit
(429 with Retry-After) on a real loopback sandbox; see ``tests/soak/soak.py`` for what each
run is judged on. ``make soak`` runs every scenario, three rounds, with harsher faults.
"""

from __future__ import annotations

from tests.soak.soak import SHORT, run_soak


async def test_short_soak_every_run_ends_right_without_storms_or_double_cancels() -> None:
    report = await run_soak(SHORT)
    summary = report.summary()
    assert report.ok, summary
    assert len(report.results) == len(SHORT.scenarios) * 2
    assert sum(r.crashes for r in report.results) == 0, summary
    assert all(r.max_per_minute <= r.bound for r in report.results), summary
    # The faults were really there: every run's order saw some of them, overall.
    assert sum(r.failed for r in report.results) > 0, summary
    cancelled = [r for r in report.results if r.scenario == "cancel_window"]
    assert cancelled, summary
    assert all(r.cancels_applied == 1 and r.refunds == 1 for r in cancelled), summary
