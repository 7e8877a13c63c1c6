"""The short chaos run: Postgres killed and restarted, frozen and thawed, connections cut,
under load. Every answer is JSON, none hangs, every fault is recovered from, and nothing wrong
is served after recovery. (`make chaos` is the long run; it writes bench/CHAOS.md.)"""

from __future__ import annotations

from bench.chaos import SHORT, run


async def test_faults_cost_errors_only_while_they_last() -> None:
    rows = await run(SHORT)
    assert [r["fault"] for r in rows] == ["SIGKILL, restart", "SIGSTOP, SIGCONT", "connections cut"]
    for row in rows:
        assert row["requests"] > 0, row
        assert row["non_json"] == 0, row
        assert row["hung"] == 0, row
        assert row["dropped"] == 0, row
        assert row["recovery_s"] is not None, row
        assert row["wrong_after_recovery"] == 0, row
