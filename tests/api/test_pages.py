"""The explorer page (GET /graphql from a browser) and the landing page (/): content, escaping,
security headers, and that they load nothing but the service's own hashed static files."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.assets import IMMUTABLE
from api.pages import CONTENT_SECURITY_POLICY, EXAMPLES
from api.settings import Settings
from db.migrate import migrate
from tests.conftest import Databases, Service, running_service

README = Path(__file__).resolve().parent.parent.parent / "README.md"
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class _Page(HTMLParser):
    """What a page loads: script and stylesheet addresses, inline code, and #graphiql's config."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline: list[str] = []
        self.config: str | None = None
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values or any(name.startswith("on") for name in values):
            self.inline.append(f"<{tag} {values}>")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.loads.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.loads.append(str(values["href"]))
        if values.get("id") == "graphiql":
            self.config = values.get("data-config")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def _csp(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def _assert_security_headers(headers: httpx.Headers) -> None:
    get = headers.get
    policy = _csp(headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src", "connect-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["font-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert get("x-content-type-options") == "nosniff"
    assert get("x-frame-options") == "DENY"
    # The page names hashed assets; it must itself be revalidated, never immutable.
    assert get("cache-control") == "no-cache"


def _readme_queries() -> list[str]:
    return [block.strip() for block in re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)]


@pytest.fixture(scope="module")
async def release_service(settings: Settings, release_url: str) -> AsyncIterator[Service]:
    async with running_service(settings, release_url) as service:
        yield service


async def test_explorer_page_for_browsers(service: Service) -> None:
    response = await service.client.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Détente</title>" in response.text
    assert response.headers["vary"].lower().split(", ").count("accept") == 1
    _assert_security_headers(response.headers)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_explorer_page_loads_only_hashed_files_of_its_own(service: Service) -> None:
    page = _Page((await service.client.get("/graphql", headers=BROWSER)).text)
    assert page.inline == []  # no inline script or style: the CSP needs no nonce or hash
    assert len(page.loads) == 9  # favicon, 3 stylesheets, 5 scripts
    for address in page.loads:
        assert re.fullmatch(r"/static/[a-z/.-]+\.[0-9a-f]{16}\.(js|css|svg)", address), address
        response = await service.client.get(address)
        assert response.status_code == 200, address
        assert response.headers["cache-control"] == IMMUTABLE


async def test_explorer_tabs_are_readme_examples_that_run(release_service: Service) -> None:
    page = _Page((await release_service.client.get("/graphql", headers=BROWSER)).text)
    assert page.config is not None
    config = json.loads(page.config)
    assert config["endpoint"] == "/graphql"
    assert config["tabs"] == [example.document for example in EXAMPLES]
    assert EXAMPLES[0].name == "MostSignificantEvents"
    readme = _readme_queries()
    for example in EXAMPLES:
        assert example.body in readme, f"{example.name} is not one of README.md's examples"
        body = await release_service.graphql(example.document)
        assert "errors" not in body, (example.name, body)
        assert body["data"], example.name


async def test_non_browser_clients_still_get_graphql(service: Service) -> None:
    # A browser navigating with a query gets the answer, not the page.
    answer = await service.client.get(
        "/graphql", params={"query": "{ topics { totalCount } }"}, headers=BROWSER
    )
    assert answer.json() == {"data": {"topics": {"totalCount": 3}}}
    missing = await service.client.get("/graphql", headers={"accept": "application/json"})
    assert missing.status_code == 400 and "content-security-policy" not in missing.headers


async def test_landing_page_shows_the_loaded_release(release_service: Service) -> None:
    response = await release_service.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    _assert_security_headers(response.headers)
    body = await release_service.graphql("{ release { version date citation license } }")
    release = body["data"]["release"]  # type: ignore[index]
    text = response.text
    assert f'Release <strong class="version">{release["version"]}</strong>' in text
    assert f'<time datetime="{release["date"]}">' in text
    assert f'<blockquote class="citation">{release["citation"]}</blockquote>' in text
    assert 'href="/graphql"' in text
    assert "OpenAPI docs and bulk downloads: coming" in text
    page = _Page(text)
    assert page.inline == [] and all(a.startswith("/static/") for a in page.loads)


async def test_landing_page_escapes_what_the_database_holds(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute(
            "insert into release (version, released_on, notes, license, content_hash, row_counts) "
            "values ('9.9.9', current_date, 'n', '<script>x()</script>&', 'h', '{}')"
        )
    finally:
        await conn.close()
    async with running_service(settings, fresh_url) as service:
        text = (await service.client.get("/")).text
    assert "<script>" not in text
    assert '<span class="license">&lt;script&gt;x()&lt;/script&gt;&amp;</span>' in text


async def test_landing_page_without_a_release(settings: Settings, empty_url: str) -> None:
    conn = await asyncpg.connect(empty_url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    async with running_service(settings, empty_url) as service:
        response = await service.client.get("/")
    assert response.status_code == 200
    assert "No release is loaded yet" in response.text


async def test_landing_page_when_postgres_is_gone(
    settings: Settings, databases: Databases, fresh_url: str
) -> None:
    async with running_service(settings, fresh_url) as service:
        await databases.drop(fresh_url)  # drops with (force): the pool's connections die
        response = await service.client.get("/")
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    _assert_security_headers(response.headers)
    assert "the database does not answer" in response.text
    assert "Traceback" not in response.text and "asyncpg" not in response.text
