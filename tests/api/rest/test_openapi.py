"""The OpenAPI document: valid 3.1 (openapi-spec-validator), good enough for a code generator
(openapi-python-client generates a client used here against the live service), and true to the
service (schemathesis sends generated requests to every operation: no server error, no answer
outside its documented schema). The docs page is served from the service's own assets."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from api.assets import StaticAssets
from api.rest.openapi import Builder
from api.rest.resources import RESOURCES
from api.settings import Settings
from schema.limits import DEFAULT_LIMITS
from tests.conftest import Service, running_service

EXAMPLES_PER_OPERATION = 5
ROOT = Path(__file__).resolve().parents[3]


def _file_paths() -> set[str]:
    from api.rest_files import openapi_paths
    from schema.build import build_schema

    return set(openapi_paths(Builder(build_schema()._schema, DEFAULT_LIMITS)))


async def _document(service: Service) -> dict[str, Any]:
    response = await service.client.get("/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_the_document_is_valid_openapi_3_1_with_every_resource(service: Service) -> None:
    document = await _document(service)
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {r.path for r in RESOURCES} | _file_paths()
    events = document["paths"]["/v1/events"]["get"]
    parameters = {p["name"]: p for p in events["parameters"]}
    assert parameters["category"]["schema"]["items"] == {"$ref": "#/components/schemas/EventCategory"}
    assert "-significance" in parameters["order"]["schema"]["enum"]
    assert parameters["date_from"]["schema"] == {"type": "string", "format": "date"}
    assert "Events of any of these categories" in parameters["category"]["description"]
    assert events["responses"]["400"]["content"]["application/problem+json"]
    event = document["components"]["schemas"]["Event"]
    assert event["properties"]["cooperationScore"]["description"].startswith("From −10")


def test_extra_path_items_join_the_document() -> None:
    from api.rest.openapi import openapi_document
    from schema.build import build_schema

    def extra(builder: Builder) -> dict[str, Any]:
        parameter = builder.parameter(RESOURCES[0].signature(builder.gql)[0].parameters[0])
        item = {"operationId": "dictionary", "parameters": [parameter], "responses": {"200": {"description": "x"}}}
        return {"/v1/dictionary": {"get": item}}

    document = openapi_document(build_schema()._schema, extra_paths=extra)
    validate(document)
    assert document["paths"]["/v1/dictionary"]["get"]["operationId"] == "dictionary"


async def test_the_docs_page_loads_only_its_own_assets(service: Service) -> None:
    response = await service.client.get("/v1/docs")
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assets = StaticAssets()
    for name in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "detente/rest-docs.js"):
        url = assets.url(name)
        assert url in response.text
        assert (await service.client.get(url)).status_code == 200
    assert "http" not in response.text.replace('data-spec="/v1/openapi.json"', "")


def test_swagger_ui_is_vendored_with_its_integrity_and_licence() -> None:
    folder = ROOT / "api" / "static" / "swagger-ui"
    manifest = json.loads((folder / "manifest.json").read_text())
    (package,) = manifest["packages"]
    assert package["name"] == "swagger-ui-dist" and package["integrity"].startswith("sha512-")
    assert (folder / package["license_file"]).read_text().startswith("\n") or (
        folder / package["license_file"]
    ).stat().st_size > 1000
    import hashlib

    for file in package["files"]:
        assert hashlib.sha256((folder / file["path"]).read_bytes()).hexdigest() == file["sha256"]


@pytest.fixture
def generated_client(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for name in [m for m in sys.modules if m == "detente_client" or m.startswith("detente_client.")]:
        del sys.modules[name]
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


async def test_a_generated_python_client_works_against_the_service(
    service: Service, generated_client: Path
) -> None:
    tool = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert tool is not None, "openapi-python-client is a dev dependency: `make .venv/.installed`"
    spec = generated_client / "openapi.json"
    spec.write_text(json.dumps(await _document(service)))
    config = generated_client / "config.yaml"
    # Files (the dataset zip, SVG charts) are bytes to a generated client, as the generator's
    # own option for such types says.
    config.write_text(
        "package_name_override: detente_client\npost_hooks: []\ncontent_type_overrides:\n"
        "  application/zip: application/octet-stream\n  image/svg+xml: application/octet-stream\n"
    )
    process = await asyncio.create_subprocess_exec(
        tool, "generate", "--path", str(spec), "--meta", "none", "--config", str(config),
        "--output-path", str(generated_client / "detente_client"), "--fail-on-warning",
        cwd=generated_client, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()[-3000:]
    sys.path.insert(0, str(generated_client))
    client_module: Any = importlib.import_module("detente_client")
    list_events: Any = importlib.import_module("detente_client.api.events.list_events")
    get_event: Any = importlib.import_module("detente_client.api.events.get_event")
    models: Any = importlib.import_module("detente_client.models")

    async with client_module.Client(base_url=service.url) as client:
        page = await list_events.asyncio(
            client=client,
            category=[models.EventCategory.EXPORT_CONTROL],
            order=models.ListEventsOrder("-significance"),
            limit=1,
        )
        assert isinstance(page, models.EventPage)
        assert page.total_count == 2 and len(page.items) == 1
        assert page.items[0].category == models.EventCategory.EXPORT_CONTROL
        following = await list_events.asyncio(
            client=client, category=[models.EventCategory.EXPORT_CONTROL], order=models.ListEventsOrder("-significance"),
            limit=1, after=page.next_cursor,
        )  # fmt: skip
        assert following.items[0].slug != page.items[0].slug and following.next_cursor is None
        event = await get_event.asyncio(client=client, slug=page.items[0].slug)
        assert isinstance(event, models.Event) and event.slug == page.items[0].slug
        assert {a.role for a in event.actors} <= set(models.Role)
        missing = await get_event.asyncio_detailed(client=client, slug="no-such-event")
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.Problem) and missing.parsed.code == "NOT_FOUND"


async def test_schemathesis_finds_no_server_error_and_no_answer_outside_its_schema(
    settings: Settings, release_url: str, tmp_path: Path
) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is a dev dependency"
    async with running_service(settings, release_url) as service:
        process = await asyncio.create_subprocess_exec(
            st, "run", f"{service.url}/v1/openapi.json", "--url", service.url,
            "--phases", "examples,fuzzing", "--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", "1",
            "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--generation-deterministic", "--no-color",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        output, _ = await process.communicate()
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, re.sub(r"\S{200,}", "…", text)[-6000:]


async def test_the_docs_page_renders_every_operation_in_a_browser(
    settings: Settings, release_url: str
) -> None:
    from tests.api.test_explorer_browser import ARTIFACTS, CHROMIUM, NODE_DIR, _check_tools, _run

    if _check_tools():
        await _run("npm", "ci", "--silent", "--no-audit", "--no-fund", cwd=NODE_DIR)
    async with running_service(settings, release_url) as service:
        output = await _run("node", "rest-docs.mjs", service.url, str(ARTIFACTS), str(CHROMIUM), cwd=NODE_DIR)
    seen = json.loads(output)
    assert seen["status"] == 200 and seen["title"].startswith("Détente REST API")
    expected = {r.path for r in RESOURCES} | _file_paths()
    assert {p.replace("\u200b", "") for p in seen["paths"]} == expected
    assert all(url.startswith(service.url) for url in seen["requests"]), seen["requests"]
    assert seen["pageErrors"] == [] and seen["console"] == []
    assert seen["cspViolations"] == []
    assert (ARTIFACTS / "rest-docs.png").stat().st_size > 10_000
