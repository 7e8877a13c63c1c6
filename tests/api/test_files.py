"""The dataset as files: the Frictionless package (valid, complete, the same bytes every time),
the data dictionary, per-metric CSV and metadata, on the real release."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import frictionless
import pytest
from graphql import GraphQLEnumType, get_named_type

from api.rest.openapi import Builder, openapi_document
from api.rest_files import openapi_paths
from api.settings import Settings
from schema.build import build_schema
from schema.limits import DEFAULT_LIMITS
from tests.conftest import RELEASE_SEEDS, Service, running_service

OPENAPI_PATHS = openapi_paths(Builder(build_schema()._schema, DEFAULT_LIMITS))

COUNTED = {
    "event": "events",
    "policy": "policies",
    "actor": "actors",
    "metric": "metrics",
    "source": "sources",
    "topic": "topics",
}


@pytest.fixture(scope="module")
async def release_service(settings: Settings, release_url: str) -> AsyncIterator[Service]:
    async with running_service(settings, release_url) as service:
        yield service


async def _version(service: Service) -> str:
    data = (await service.graphql("{ release { version } }"))["data"]
    return str(data["release"]["version"])  # type: ignore[index]


async def test_latest_redirects_to_the_loaded_version(release_service: Service) -> None:
    version = await _version(release_service)
    response = await release_service.client.get("/v1/releases/latest/dataset.zip")
    assert response.status_code == 302
    assert response.headers["location"] == f"/v1/releases/{version}/dataset.zip"


async def test_other_versions_are_404_problems(release_service: Service) -> None:
    for path in ("/v1/releases/9.9.9/dataset.zip", "/v1/releases/not-a-version/dataset.zip"):
        response = await release_service.client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "NOT_FOUND"
        assert "x-request-id" in response.headers


async def test_package_is_valid_complete_and_reproducible(
    release_service: Service, settings: Settings, tmp_path: Path
) -> None:
    version = await _version(release_service)
    path = f"/v1/releases/{version}/dataset.zip"
    response = await release_service.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    body = response.content

    # Byte for byte the same from another process (a new build from the same database).
    async with running_service(settings, release_service.database_url) as other:
        again = await other.client.get(path)
    assert again.content == body
    assert again.headers["etag"] == response.headers["etag"]
    cached = await release_service.client.get(path, headers={"if-none-match": response.headers["etag"]})
    assert cached.status_code == 304

    archive = zipfile.ZipFile(io.BytesIO(body))
    names = archive.namelist()
    assert names[:6] == [
        "datapackage.json",
        "README.md",
        "LICENSE.md",
        "CITATION.cff",
        "CHANGELOG.md",
        "dictionary.json",
    ]
    assert archive.read("CHANGELOG.md").decode() == (RELEASE_SEEDS / "CHANGELOG.md").read_text()
    assert b"CC-BY-4.0" in archive.read("CITATION.cff")
    assert f'version: "{version}"'.encode() in archive.read("CITATION.cff")
    archive.extractall(tmp_path)

    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]

    package = frictionless.Package(str(tmp_path / "datapackage.json"))
    assert all(r.schema.fields and all(f.description for f in r.schema.fields) for r in package.resources)
    rows = {r.name: len(r.read_rows()) for r in package.resources}  # type: ignore[attr-defined]
    counts = (
        await release_service.graphql(
            "{ "
            + " ".join(f"{f}: {f}(first: 1) {{ totalCount }}" for f in COUNTED.values())
            + " release { rowCounts { kind count } } }"
        )
    )["data"]
    for kind, field in COUNTED.items():
        assert rows[kind] == counts[field]["totalCount"], kind  # type: ignore[index]
    by_kind = {c["kind"]: c["count"] for c in counts["release"]["rowCounts"]}  # type: ignore[index]
    assert rows["observation"] == by_kind["observation"]
    assert rows["event-actor"] > 0 and rows["event-source"] >= rows["event"]


def test_table_schemas_come_from_the_graphql_definitions(tmp_path: Path) -> None:
    from api.rest_files.package import table_schemas

    schema = build_schema()._schema
    event = schema.type_map["Event"]
    fields = {f["name"]: f for f in table_schemas(schema)["event"]["fields"]}
    assert fields["score_rationale"]["description"] == event.fields["scoreRationale"].description  # type: ignore[attr-defined]
    category = get_named_type(event.fields["category"].type)  # type: ignore[attr-defined]
    assert isinstance(category, GraphQLEnumType)
    assert fields["category"]["constraints"]["enum"] == list(category.values)
    assert fields["cooperation_score"]["type"] == "integer"
    # An event names the event it implements by slug: a foreign key into the same table.
    assert fields["implements"]["type"] == "string"
    assert "constraints" not in fields["implements"]  # null for most events
    assert {"fields": "implements", "reference": {"resource": "", "fields": "slug"}} in table_schemas(schema)[
        "event"
    ]["foreignKeys"]


async def test_dictionary_lists_every_field_of_every_kind(release_service: Service) -> None:
    response = await release_service.client.get("/v1/dictionary")
    assert response.status_code == 200
    kinds = {k["kind"]: k for k in response.json()["kinds"]}
    schema = build_schema()._schema
    for kind, type_name in (("event", "Event"), ("policy", "Policy"), ("observation", "Observation")):
        gql = schema.type_map[type_name]
        listed = {f["name"]: f for f in kinds[kind]["fields"]}
        assert list(listed) == list(gql.fields)  # type: ignore[attr-defined]
        for name, field in gql.fields.items():  # type: ignore[attr-defined]
            assert listed[name]["description"] == field.description
    stance = {f["name"]: f for f in kinds["event"]["fields"]}["stance"]
    assert [v["value"] for v in stance["allowedValues"]] == ["COOPERATIVE", "COMPETITIVE", "MIXED", "NEUTRAL"]
    assert all(v["description"] for v in stance["allowedValues"])
    etag = response.headers["etag"]
    again = await release_service.client.get("/v1/dictionary", headers={"if-none-match": etag})
    assert again.status_code == 304


async def test_metric_csv_and_metadata(release_service: Service) -> None:
    data = (
        await release_service.graphql(
            "{ metrics(first: 1) { nodes { slug name unit description observations(first: 1) { totalCount }"
            " sources { nodes { url } } } } }"
        )
    )["data"]
    metric = data["metrics"]["nodes"][0]  # type: ignore[index]
    slug = metric["slug"]
    response = await release_service.client.get(f"/v1/metrics/{slug}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "public" in response.headers["cache-control"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0])[:5] == ["entity", "date", "value", "unit", "source"]
    assert len(rows) == metric["observations"]["totalCount"]
    assert {r["unit"] for r in rows} == {metric["unit"]}
    again = await release_service.client.get(
        f"/v1/metrics/{slug}.csv", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304

    entity = rows[0]["entity"]
    only = await release_service.client.get(f"/v1/metrics/{slug}.csv", params={"entity": entity})
    assert {r["entity"] for r in csv.DictReader(io.StringIO(only.text))} == {entity}

    meta = (await release_service.client.get(f"/v1/metrics/{slug}.metadata.json")).json()
    assert meta["description"] == metric["description"] and meta["unit"] == metric["unit"]
    assert [s["url"] for s in meta["sources"]] == [s["url"] for s in metric["sources"]["nodes"]]
    assert meta["licence"]["name"] == "CC-BY-4.0"
    assert meta["citation"].startswith(metric["name"])
    assert meta["lastUpdated"]["release"] == await _version(release_service)


async def test_metric_file_errors_are_problems(release_service: Service) -> None:
    missing = await release_service.client.get("/v1/metrics/no-such-metric.csv")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    unknown = await release_service.client.get("/v1/metrics/no-such-metric.csv", params={"colour": "red"})
    assert unknown.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["parameters"] == ["colour"]
    bad_date = await release_service.client.get("/v1/metrics/x.svg", params={"date_from": "2024-02-30"})
    assert bad_date.status_code == 400 and bad_date.json()["code"] == "BAD_USER_INPUT"
    assert bad_date.headers["cache-control"] == "no-store"


def test_openapi_paths_cover_every_route() -> None:
    assert set(OPENAPI_PATHS) == {
        "/v1/releases/{version}/dataset.zip",
        "/v1/releases/latest/dataset.zip",
        "/v1/dictionary",
        "/v1/changes",
        "/v1/metrics/{slug}.csv",
        "/v1/metrics/{slug}.metadata.json",
        "/v1/metrics/{slug}.svg",
        "/v1/timeline.svg",
    }
    for item in OPENAPI_PATHS.values():
        operation = item["get"]
        assert operation["operationId"] and operation["summary"]
        assert any(
            "application/problem+json" in r.get("content", {}) for r in operation["responses"].values()
        )
    timeline = {p["name"] for p in OPENAPI_PATHS["/v1/timeline.svg"]["get"]["parameters"]}
    assert {"date_from", "date_to", "category", "involves_us_and_china", "significance_min"} <= timeline


def test_openapi_paths_are_valid_openapi_3_1() -> None:
    validator = pytest.importorskip("openapi_spec_validator", reason="openapi-spec-validator not installed")
    document = openapi_document(build_schema()._schema, extra_paths=openapi_paths)
    validator.validate(document)
    timeline = {p["name"]: p for p in document["paths"]["/v1/timeline.svg"]["get"]["parameters"]}
    # The same parameter objects as /v1/timeline's: one definition, two routes.
    same = {p["name"]: p for p in document["paths"]["/v1/timeline"]["get"]["parameters"]}
    assert timeline["category"] == same["category"]
    assert timeline["interval"]["required"] is False
