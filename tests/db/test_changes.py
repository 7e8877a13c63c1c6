"""What changed between releases: the loader records, per record, which release added, changed
or removed it (in the load's transaction); `changes(since:)` and /v1/changes report it."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest

from api.settings import Settings
from db.changes import changes_since
from db.seed import load_seeds
from tests.conftest import FIXTURE_SEEDS, running_service

FIRST = "0.0.1-test"  # the fixture seeds' version, loaded into every fresh database


def _release(seeds: Path, version: str) -> None:
    path = seeds / "release.yaml"
    path.write_text(path.read_text().replace(f"version: {FIRST}", f"version: {version}"))


def _without_event(seeds: Path, slug: str) -> str:
    """Drops an event from the files; returns its YAML block (to put back later)."""
    path = seeds / "events" / "test.yaml"
    blocks = path.read_text().split("\n- slug: ")
    kept = [b for b in blocks if not b.startswith(slug + "\n")]
    assert len(kept) == len(blocks) - 1
    path.write_text("\n- slug: ".join(kept))
    return next(b for b in blocks if b.startswith(slug + "\n"))


def _second_release(seeds: Path) -> None:
    """0.2.0: one event removed, one retitled, a topic added, an observation revised."""
    _release(seeds, "0.2.0")
    _without_event(seeds, "bletchley-declaration")
    events = seeds / "events" / "test.yaml"
    events.write_text(
        events.read_text().replace(
            "title: US imposes sweeping controls on advanced chips for China",
            "title: US imposes sweeping export controls on advanced chips for China",
        )
    )
    topics = seeds / "topics.yaml"
    topics.write_text(
        topics.read_text() + "- slug: talent\n  name: Talent\n  description: People who move.\n"
    )
    observations = seeds / "observations" / "test.csv"
    observations.write_text(
        observations.read_text().replace(
            "private-ai-investment,china,2023,7.8,", "private-ai-investment,china,2023,7.9,"
        )
    )


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(FIXTURE_SEEDS, target)
    return target


def _net(changes: list) -> dict[tuple[str, str], tuple[str, str]]:  # type: ignore[type-arg]
    return {(c.kind, c.slug): (c.change, c.release) for c in changes}


async def test_two_releases_record_added_changed_and_removed(fresh_url: str, seeds: Path) -> None:
    conn = await asyncpg.connect(fresh_url)
    try:
        first = _net(await changes_since(conn, None))
        assert first and all(change == ("ADDED", FIRST) for change in first.values())
        assert ("event", "bletchley-declaration") in first and ("metric", "private-ai-investment") in first

        _second_release(seeds)
        report = await load_seeds(conn, seeds)
        assert report.records == {"ADDED": 1, "CHANGED": 2, "REMOVED": 1}
        assert _net(await changes_since(conn, FIRST)) == {
            ("event", "bletchley-declaration"): ("REMOVED", "0.2.0"),
            ("event", "bis-controls-2022"): ("CHANGED", "0.2.0"),
            ("topic", "talent"): ("ADDED", "0.2.0"),
            ("metric", "private-ai-investment"): ("CHANGED", "0.2.0"),
        }
        # Since the first load: a tombstone for the removed one; the retitled one is simply added.
        since_start = _net(await changes_since(conn, None))
        assert since_start[("event", "bletchley-declaration")] == ("REMOVED", "0.2.0")
        assert since_start[("event", "bis-controls-2022")] == ("ADDED", "0.2.0")
        assert since_start[("topic", "ai-safety")] == ("ADDED", FIRST)

        # The same files again: skipped, nothing recorded.
        assert (await load_seeds(conn, seeds)).skipped
        assert await changes_since(conn, "0.2.0") == []

        # 0.3.0 puts the removed event back: new since 0.2.0, changed since the first release.
        _release_from(seeds, "0.2.0", "0.3.0")
        events = seeds / "events" / "test.yaml"
        original = (FIXTURE_SEEDS / "events" / "test.yaml").read_text().split("\n- slug: ")
        block = next(b for b in original if b.startswith("bletchley-declaration\n"))
        events.write_text(events.read_text().rstrip("\n") + "\n- slug: " + block.rstrip("\n") + "\n")
        await load_seeds(conn, seeds)
        assert _net(await changes_since(conn, "0.2.0")) == {
            ("event", "bletchley-declaration"): ("ADDED", "0.3.0")
        }
        assert _net(await changes_since(conn, FIRST))[("event", "bletchley-declaration")] == (
            "CHANGED",
            "0.3.0",
        )
    finally:
        await conn.close()


def _release_from(seeds: Path, old: str, new: str) -> None:
    path = seeds / "release.yaml"
    path.write_text(path.read_text().replace(f"version: {old}", f"version: {new}"))


async def test_a_failed_load_records_no_changes(fresh_url: str, seeds: Path) -> None:
    conn = await asyncpg.connect(fresh_url)
    try:
        before = await conn.fetchval("select count(*) from record_change")
        _second_release(seeds)
        # A trigger makes the load fail after the data and changes were written: all rolls back.
        await conn.execute(
            "create function fail_state() returns trigger language plpgsql as "
            "$$ begin raise exception 'refused'; end $$"
        )
        await conn.execute(
            "create trigger fail_state after insert on record_state for each statement "
            "execute function fail_state()"
        )
        with pytest.raises(asyncpg.RaiseError):
            await load_seeds(conn, seeds)
        assert await conn.fetchval("select count(*) from record_change") == before
        assert await conn.fetchval("select count(*) from release where version = '0.2.0'") == 0
        assert await conn.fetchval("select count(*) from event where slug = 'bletchley-declaration'") == 1
    finally:
        await conn.close()


async def test_rest_and_graphql_report_the_same_changes(
    settings: Settings, fresh_url: str, seeds: Path
) -> None:
    conn = await asyncpg.connect(fresh_url)
    try:
        _second_release(seeds)
        await load_seeds(conn, seeds)
    finally:
        await conn.close()
    async with running_service(settings, fresh_url) as service:
        rest = await service.client.get("/v1/changes", params={"since": FIRST})
        assert rest.status_code == 200
        assert "public" in rest.headers["cache-control"] and rest.headers["etag"]
        body = rest.json()
        graphql = await service.graphql(
            "query($since: String) { changes(since: $since) { since release kinds { kind "
            "added { slug release } changed { slug release } removed { slug release } } } }",
            {"since": FIRST},
        )
        assert graphql["data"]["changes"] == body  # type: ignore[index]
        assert body["since"] == FIRST and body["release"] == "0.2.0"
        kinds = {k["kind"]: k for k in body["kinds"]}
        assert list(kinds) == ["event", "policy", "actor", "metric", "source", "topic"]
        assert kinds["event"]["removed"] == [{"slug": "bletchley-declaration", "release": "0.2.0"}]
        assert kinds["event"]["changed"] == [{"slug": "bis-controls-2022", "release": "0.2.0"}]
        assert kinds["topic"]["added"] == [{"slug": "talent", "release": "0.2.0"}]

        unknown = await service.client.get("/v1/changes", params={"since": "9.9.9"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["code"] == "NOT_FOUND" and "9.9.9" in unknown.json()["detail"]
        stray = await service.client.get("/v1/changes", params={"sinse": FIRST})
        assert stray.status_code == 400 and stray.json()["parameters"] == ["sinse"]
        for bad in ("0.1.0\x00", "latest", "0.1.0\n"):
            refused = await service.client.get("/v1/changes", params={"since": bad})
            assert (refused.status_code, refused.json()["code"]) == (400, "BAD_USER_INPUT"), bad
        never = await service.graphql('{ changes(since: "9.9.9") { since } }')
        assert never == {"data": {"changes": None}}
        malformed = await service.graphql('{ changes(since: "") { since } }')
        assert malformed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
