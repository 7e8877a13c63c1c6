"""The HTML pages: the GraphiQL explorer (GET /graphql from a browser) and the landing page (/).

Both come from template files in api/templates/, every value HTML-escaped, and load only files the
service serves itself (api/static/), under a Content-Security-Policy that allows nothing else.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.assets import StaticAssets
from api.database import DATABASE_ERRORS
from db.release import latest_release
from schema.release import Release

logger = logging.getLogger("detente.pages")

TEMPLATES_DIR = Path(__file__).parent / "templates"
RELEASE_TIMEOUT_S = 2.0

# Only this origin: scripts and styles from files (no inline code), fonts and icons embedded in
# GraphiQL's stylesheet as data: URLs, requests to /graphql; never inside another site's frame.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    # The pages name hashed asset URLs: revalidate them so a new deploy's assets are picked up.
    "cache-control": "no-cache",
}


@dataclass(frozen=True)
class ExampleQuery:
    """A README example, opened as a tab in the explorer."""

    name: str  # the operation name: GraphiQL shows it as the tab's title
    about: str  # one line, a comment above the query
    body: str  # the selection set, exactly as in README.md's examples

    @property
    def document(self) -> str:
        return f"# {self.about}\nquery {self.name} {self.body}"


EXAMPLES: tuple[ExampleQuery, ...] = (
    ExampleQuery(
        "MostSignificantEvents",
        "The most significant events involving both the US and China, with who did what",
        """{
  events(first: 10, orderBy: SIGNIFICANCE_DESC, filter: {involvesUsAndChina: true}) {
    totalCount
    edges {
      node {
        date datePrecision title stance cooperationScore scoreRationale
        actors { edges { role node { name nameZh } } }
        sources { nodes { title url } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}""",
    ),
    ExampleQuery(
        "CooperationIndexByQuarter",
        "Cooperation or competition? The index by quarter, for events between US and Chinese actors",
        """{
  timeline(interval: QUARTER, filter: {involvesUsAndChina: true}) {
    periodStart events cooperative competitive mixed neutral scoreMean
    topEvent { title significance }
  }
}""",
    ),
    ExampleQuery(
        "ExportControlsSince2022",
        "Export controls since 2022, newest first, paged with cursors",
        """{
  events(first: 20, filter: {category: [EXPORT_CONTROL, ENTITY_LISTING], date: {from: "2022-01-01"}}) {
    nodes { date title cooperationScore policies { nodes { title titleZh status } } }
    pageInfo { hasNextPage endCursor }
  }
}""",
    ),
    ExampleQuery(
        "China",
        "An actor and everything it did, with its role",
        """{
  actor(slug: "china") {
    name nameZh kind
    children { nodes { name nameZh } }
    events(first: 5) { totalCount edges { role node { date title } } }
    policies(first: 5) { nodes { title titleZh announcedOn } }
  }
}""",
    ),
    ExampleQuery(
        "ReleaseAndCitation",
        "Any object by its global ID, and the loaded release (how to cite it)",
        """{
  node(id: "RXZlbnQ6YmxldGNobGV5LWRlY2xhcmF0aW9uLXNpZ25lZA") { id ... on Event { title } }
  release { version date license citation rowCounts { kind count } }
}""",
    ),
)


def _templates() -> dict[str, Template]:
    return {p.name: Template(p.read_text(encoding="utf-8")) for p in TEMPLATES_DIR.glob("*.html")}


def _render(template: Template, values: dict[str, str], fragments: dict[str, str] | None = None) -> str:
    """Fills a template. Every value is HTML-escaped (quotes too, for attributes); only
    `fragments`, themselves rendered by this function, go in as they are."""
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    return template.substitute(escaped | (fragments or {}))


class Pages:
    def __init__(self, assets: StaticAssets, endpoint: str = "/graphql") -> None:
        self.assets = assets
        self.endpoint = endpoint
        self._templates = _templates()
        config = {"endpoint": endpoint, "tabs": [e.document for e in EXAMPLES]}
        self._explorer = _render(
            self._templates["explorer.html"],
            {
                "config": json.dumps(config, ensure_ascii=False),
                "favicon": assets.url("detente/favicon.svg"),
                "graphiql_css": assets.url("graphiql/graphiql.min.css"),
                "plugin_explorer_css": assets.url("graphiql/plugin-explorer.css"),
                "explorer_css": assets.url("detente/explorer.css"),
                "react_js": assets.url("graphiql/react.production.min.js"),
                "react_dom_js": assets.url("graphiql/react-dom.production.min.js"),
                "graphiql_js": assets.url("graphiql/graphiql.min.js"),
                "plugin_explorer_js": assets.url("graphiql/plugin-explorer.umd.js"),
                "explorer_js": assets.url("detente/explorer.js"),
            },
        ).encode()

    def explorer(self) -> Response:
        """GraphiQL, with the README's examples as tabs; served by the GraphQL endpoint."""
        return HTMLResponse(self._explorer, headers={**SECURITY_HEADERS, "vary": "accept"})

    async def landing(self, request: Request) -> Response:
        """What Détente is, where to start, and the loaded release with how to cite it."""
        status = 200
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                row = await latest_release(request.state.pool)
        except DATABASE_ERRORS:
            logger.warning("landing page without release", extra={"request_id": request.state.request_id})
            row, status = None, 503
        if row is not None:
            release = Release.from_row(row)
            section = _render(
                self._templates["release.html"],
                {
                    "version": release.version,
                    "date": release.date.isoformat(),
                    "license": release.license,
                    "citation": release.citation,
                    "counts": _counts({c.kind: c.count for c in release.row_counts}),
                },
            )
        elif status == 503:
            section = _render(self._templates["release-unavailable.html"], {})
        else:
            section = _render(self._templates["release-none.html"], {})
        values = {
            "favicon": self.assets.url("detente/favicon.svg"),
            "site_css": self.assets.url("detente/site.css"),
            "explorer": self.endpoint,
        }
        page = _render(self._templates["landing.html"], values, fragments={"release": section})
        return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def _counts(counts: dict[str, int]) -> str:
    names = [("event", "events"), ("policy", "policies"), ("actor", "actors"), ("source", "sources")]
    return ", ".join(f"{counts[k]:,} {label}" for k, label in names if k in counts)
