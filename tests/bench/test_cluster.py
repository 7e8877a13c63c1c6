"""The short cluster run (bench/cluster.py): two service processes behind a balancer over a
primary and a streaming replica, with a Redis of its own. Stopping a service process, the Postgres
replica or Redis under load costs no non-JSON and no wrong answer, each is recovered from, and
every process answers a new release after a seed load. (`make cluster` is the long run; it
writes bench/CLUSTER.md.)"""

from __future__ import annotations

import shutil

import pytest

from bench.cluster import SHORT, run

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


async def test_a_part_stopped_under_load_costs_no_wrong_answer() -> None:
    result = await run(SHORT)
    assert [r["fault"] for r in result["faults"]] == [
        "service process api-1 stopped (SIGTERM), restarted",
        "Postgres replica stopped, restarted",
        "Redis stopped, restarted",
    ]
    for row in [result["before_faults"], *result["faults"]]:
        assert row["requests"] > 0, row
        assert row["non_json"] == 0, row
        assert row["wrong"] == 0, row
        assert row["hung"] == 0, row
    for row in result["faults"]:
        assert row["recovery_s"] is not None, row
    # Reads fail over to the primary: the replica going away costs no error at all.
    replica = result["faults"][1]
    assert replica["errors"] == 0 and replica["dropped"] == 0, replica
    assert set(result["connections_per_process"]) == {"api-1", "api-2"}
    assert result["release"]["every_process_answers_s"] is not None, result["release"]
