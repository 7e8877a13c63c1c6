"""The seed loader: validation with file/record/reason, one transaction, idempotent upserts."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest

from db.seed import SeedError, load_seeds, read_dataset
from tests.conftest import FIXTURE_SEEDS


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(FIXTURE_SEEDS, target)
    return target


async def _snapshot(conn: asyncpg.Connection) -> dict[str, object]:
    tables = [
        "event",
        "policy",
        "actor",
        "topic",
        "source",
        "metric",
        "observation",
        "event_actor",
        "event_topic",
        "event_source",
        "event_policy",
        "release",
    ]
    return {t: [tuple(r) for r in await conn.fetch(f"select * from {t} order by 1, 2")] for t in tables}


async def test_reloading_the_same_files_changes_nothing(fresh_url: str) -> None:
    conn = await asyncpg.connect(fresh_url)
    try:
        before = await _snapshot(conn)
        skipped = await load_seeds(conn, FIXTURE_SEEDS)
        assert skipped.skipped
        forced = await load_seeds(conn, FIXTURE_SEEDS, force=True)
        assert not forced.skipped and not forced.changed, forced.changes
        assert await _snapshot(conn) == before
    finally:
        await conn.close()


async def test_removed_and_changed_records_follow_the_files(fresh_url: str, seeds: Path) -> None:
    events = seeds / "events" / "test.yaml"
    text = events.read_text()
    start = text.index("- slug: uk-summit-announced")
    events.write_text(text[:start].replace("significance: 4", "significance: 5", 1))
    conn = await asyncpg.connect(fresh_url)
    try:
        report = await load_seeds(conn, seeds)
        assert report.changes["event"] == {"inserted": 0, "updated": 1, "deleted": 1}
        assert await conn.fetchval("select count(*) from event where slug = 'uk-summit-announced'") == 0
        assert await conn.fetchval("select significance from event where slug = 'bletchley-declaration'") == 5
        counts = await conn.fetchval("select row_counts from release order by id desc limit 1")
        assert '"event": 5' in counts
    finally:
        await conn.close()


BROKEN = [
    (
        "events/test.yaml",
        "actor: us-bis, role: initiator",
        "actor: nobody, role: initiator",
        "unknown actor 'nobody'",
    ),
    (
        "events/test.yaml",
        "- slug: bletchley-declaration",
        "- slug: bis-controls-2022",
        "duplicate event slug 'bis-controls-2022'",
    ),
    ("events/test.yaml", "date: 2023-11-01", "date: 2023-02-30", "is not a real date"),
    ("events/test.yaml", "category: summit", "category: picnic", "category"),
    ("events/test.yaml", "cooperation_score: 4", "cooperation_score: 11", "cooperation_score"),
    ("policies/test.yaml", "issuer: cn-cac", "issuer: cn-nobody", "unknown issuer actor"),
    ("observations/test.csv", "china,2023,7.8", "china,2023,seven", "value"),
    ("sources/test.yaml", "url: https://www.gov.cn/", "url: not a url ", "well-formed"),
    ("actors/test.yaml", "parent: united-states", "parent: us-bis", "parent chain forms a cycle"),
    ("topics.yaml", "- slug: chips", "- slug: Chips!", "slug"),
    ("events/test.yaml", "end_date: 2023-11-02", "end_date: 2023-10-30", "before date"),
    (
        "events/test.yaml",
        "  confidence: confirmed\n- slug: bletchley",
        "  confidence: confirmed\n  colour: red\n- slug: bletchley",
        "Extra inputs",
    ),
    (
        "events/test.yaml",
        "implements: cn-genai-measures-published",
        "implements: cn-genai-measures-drafted",
        "cn-genai-measures-take-effect: implements: unknown event 'cn-genai-measures-drafted'",
    ),
    (
        "events/test.yaml",
        "implements: cn-genai-measures-published",
        "implements: cn-genai-measures-take-effect",
        "cn-genai-measures-take-effect: implements: an event cannot implement itself",
    ),
    (
        # A chain: the followup would implement an event that implements another.
        "events/test.yaml",
        "  summary: Further provisions of the October 2022 rule apply.\n",
        "  summary: Further provisions of the October 2022 rule apply.\n"
        "  implements: cn-genai-measures-take-effect\n",
        "bis-controls-2022-followup: implements: 'cn-genai-measures-take-effect' itself implements "
        "'cn-genai-measures-published'",
    ),
    ("events/test.yaml", "implements: cn-genai-measures-published", "implements: Not A Slug", "implements"),
]


@pytest.mark.parametrize(("file", "old", "new", "reason"), BROKEN)
async def test_a_broken_file_fails_with_file_record_reason_and_writes_nothing(
    fresh_url: str, seeds: Path, file: str, old: str, new: str, reason: str
) -> None:
    path = seeds / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    (seeds / "events" / "more.yaml").write_text(
        (seeds / "events" / "test.yaml")
        .read_text()
        .split("- slug: bletchley-declaration")[0]
        .replace("slug: bis-controls-2022", "slug: would-be-new")
    )
    conn = await asyncpg.connect(fresh_url)
    try:
        before = await _snapshot(conn)
        with pytest.raises(SeedError) as failure:
            await load_seeds(conn, seeds)
        assert await _snapshot(conn) == before
    finally:
        await conn.close()
    problems = [str(p) for p in failure.value.problems]
    assert any(reason in p and file.split("/")[-1] in p for p in problems), problems


async def test_implements_links_follow_the_files(fresh_url: str, seeds: Path) -> None:
    """The link is written by slug, changes only the record that gains it, and goes when the
    files drop it; the event that implements is not counted in the index."""
    events = seeds / "events" / "test.yaml"
    text = events.read_text()
    linked = text.replace(
        "  summary: Further provisions of the October 2022 rule apply.\n",
        "  summary: Further provisions of the October 2022 rule apply.\n  implements: bis-controls-2022\n",
    )
    query = (
        "select e.slug, i.slug as implements, e.counted_in_index from event e "
        "left join event i on i.id = e.implements_event_id where e.implements_event_id is not null "
        "order by e.slug"
    )
    conn = await asyncpg.connect(fresh_url)
    try:
        assert [tuple(r) for r in await conn.fetch(query)] == [
            ("cn-genai-measures-take-effect", "cn-genai-measures-published", False)
        ]
        events.write_text(linked)
        report = await load_seeds(conn, seeds)
        assert report.changes["event"] == {"inserted": 0, "updated": 1, "deleted": 0}
        assert report.records == {"ADDED": 0, "CHANGED": 1, "REMOVED": 0}
        assert [tuple(r) for r in await conn.fetch(query)] == [
            ("bis-controls-2022-followup", "bis-controls-2022", False),
            ("cn-genai-measures-take-effect", "cn-genai-measures-published", False),
        ]
        # Both links dropped: the one just added and the fixture's own.
        events.write_text(text.replace("  implements: cn-genai-measures-published\n", ""))
        report = await load_seeds(conn, seeds)
        assert report.changes["event"]["updated"] == 2
        assert await conn.fetch(query) == []
        assert await conn.fetchval("select bool_and(counted_in_index) from event") is True
    finally:
        await conn.close()


def test_invalid_yaml_is_reported_with_its_file(seeds: Path) -> None:
    (seeds / "events" / "test.yaml").write_text("- slug: [unclosed\n")
    with pytest.raises(SeedError, match=r"test.yaml: \(file\): not valid YAML"):
        read_dataset(seeds)


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="seed folder does not exist"):
        read_dataset(tmp_path / "nowhere")


def _rename_everywhere(seeds: Path) -> None:
    for folder, old, new in (
        ("sources/test.yaml", "gov-uk-bletchley", "uk-gov-bletchley-declaration"),
        ("topics.yaml", "ai-safety", "frontier-ai-safety"),
        ("actors/test.yaml", "us-bis", "us-commerce-bis"),
    ):
        for path in seeds.rglob("*"):
            if path.is_file():
                path.write_text(path.read_text().replace(old, new))
        assert new in (seeds / folder).read_text()
    observations = seeds / "observations" / "test.csv"
    observations.write_text(observations.read_text().replace("2023,67.2", "2023,67.5"))


async def test_renaming_slugs_that_keep_a_unique_url_or_name_loads(fresh_url: str, seeds: Path) -> None:
    _rename_everywhere(seeds)
    conn = await asyncpg.connect(fresh_url)
    try:
        report = await load_seeds(conn, seeds)
        assert report.changes["source"]["inserted"] == 1 and report.changes["source"]["deleted"] == 1
        assert await conn.fetchval("select slug from topic where name = 'AI safety'") == "frontier-ai-safety"
        assert (
            await conn.fetchval(
                "select a.slug from policy p join actor a on a.id = p.issuer_id "
                "where p.slug = 'bis-advanced-computing-rule-2022'"
            )
            == "us-commerce-bis"
        )
        assert (
            await conn.fetchval("select value from observation where date = '2023-01-01' and value > 60")
            == 67.5
        )
        assert await conn.fetchval("select count(*) from observation") == 3
        again = await load_seeds(conn, seeds, force=True)
        assert not again.changed, again.changes
    finally:
        await conn.close()


def test_a_nul_escape_names_the_file_record_and_field(seeds: Path) -> None:
    path = seeds / "events" / "test.yaml"
    text = path.read_text()
    path.write_text(text.replace("title: ", 'title: "NUL \\0 inside" #', 1))
    with pytest.raises(SeedError) as failure:
        read_dataset(seeds)
    problems = [str(p) for p in failure.value.problems]
    assert any(
        "test.yaml" in p and "(bis-controls-2022)" in p and "title: contains a NUL" in p for p in problems
    ), problems


def test_a_raw_nul_byte_names_the_file_line_and_record(seeds: Path) -> None:
    path = seeds / "events" / "test.yaml"
    data = path.read_bytes()
    at = data.index(b"title:", data.index(b"slug: bletchley-declaration"))
    path.write_bytes(data[:at] + b"title: a\x00b\n  " + data[at + len(b"title:") :].split(b"\n", 1)[1])
    with pytest.raises(SeedError) as failure:
        read_dataset(seeds)
    problems = [str(p) for p in failure.value.problems]
    assert any(
        "test.yaml" in p and "bletchley-declaration" in p and "contains a NUL byte" in p for p in problems
    ), problems
