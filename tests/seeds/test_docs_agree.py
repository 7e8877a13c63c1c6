"""The README and seeds/CHANGELOG.md say what the loaded release says: version, counts, citation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from graphql import GraphQLUnionType, InlineFragmentNode, parse

from api.settings import Settings
from schema.build import build_schema
from tests.conftest import Service, running_service

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "seeds" / "CHANGELOG.md").read_text(encoding="utf-8")
PLURAL = {
    "events": "event",
    "policies": "policy",
    "actors": "actor",
    "metrics": "metric",
    "observations": "observation",
    "sources": "source",
    "topics": "topic",
}
COUNTS = re.compile(r"(\d[\d,]*)\s+(" + "|".join(PLURAL) + r")\b")


def _counts(text: str) -> dict[str, int]:
    return {PLURAL[word]: int(number.replace(",", "")) for number, word in COUNTS.findall(text)}


@pytest.fixture(scope="module")
async def release(settings: Settings, release_url: str) -> AsyncIterator[dict[str, object]]:
    service: Service
    async with running_service(settings, release_url) as service:
        body = await service.graphql("{ release { version date citation rowCounts { kind count } } }")
    data = body["data"]
    assert isinstance(data, dict)
    yield data["release"]


def test_the_seeds_are_the_release_the_docs_describe() -> None:
    seeds = yaml.safe_load((ROOT / "seeds" / "release.yaml").read_text(encoding="utf-8"))
    assert f"The release in `seeds/` is **{seeds['version']}** ({seeds['date']})" in README


async def test_readme_version_counts_and_citation_are_the_loaded_release(release: dict[str, object]) -> None:
    paragraph = README.split("The release in `seeds/` is ", 1)[1].split("\n\n", 1)[0]
    assert paragraph.startswith(f"**{release['version']}** ({release['date']})")
    counts = {row["kind"]: row["count"] for row in release["rowCounts"]}  # type: ignore[attr-defined]
    assert _counts(paragraph) == counts
    citation = README.split("Cite it as the `release { citation }` field gives:", 1)[1].split("*")[1]
    assert " ".join(citation.split()) == release["citation"]


async def test_changelog_counts_of_the_release_are_the_loaded_release(release: dict[str, object]) -> None:
    section = CHANGELOG.split(f"## {release['version']} ", 1)[1].split("\n## ", 1)[0]
    # A bullet with its continuation lines.
    bullets = re.split(r"\n(?=- )", section)
    bullet = " ".join(next(b for b in bullets if b.lstrip().startswith("- ") and "events" in b).split())
    counts = {row["kind"]: row["count"] for row in release["rowCounts"]}  # type: ignore[attr-defined]
    assert _counts(bullet) == counts


def test_the_readme_search_example_selects_fields_of_every_kind_of_hit() -> None:
    example = next(q for q in re.findall(r"```graphql\n(.*?)```", README, re.DOTALL) if "search(" in q)
    schema = build_schema()._schema
    union = schema.get_type("SearchResult")
    assert isinstance(union, GraphQLUnionType)
    members = {t.name for t in union.types}
    selected: set[str] = set()

    def walk(node: object) -> None:
        for child in getattr(getattr(node, "selection_set", None), "selections", None) or ():
            if (
                isinstance(child, InlineFragmentNode)
                and child.type_condition
                and child.selection_set.selections
            ):
                selected.add(child.type_condition.name.value)
            walk(child)

    for definition in parse(example).definitions:
        walk(definition)
    assert members and members <= selected, members - selected
