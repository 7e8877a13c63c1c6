"""The REST routes for files, changes and charts: the dataset package, the data dictionary,
what changed between releases, per-metric CSV, metadata and SVG, the timeline SVG and the
/charts page. Each answer is built from a GraphQL document run by the same engine as /graphql
and the other REST routes (api/engine.py: executor, limits, deadline, rate limit, the response
cache), with query parameters derived from the GraphQL field the route reads
(api/rest/parameters.py) — except the package, which is built from the tables."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.assets import StaticAssets
from api.engine import Engine, etags
from api.problems import Problem
from api.rest.metering import metered
from api.rest.parameters import Signature, field_signature, to_variables
from api.rest.run import answered, query_pairs, run_document
from api.rest_files import svg
from api.rest_files.charts import ChartsPage
from api.rest_files.dictionary import dictionary
from api.rest_files.package import is_version
from api.rest_files.store import PackageStore
from db.release import content_hash_of
from schema.release import CITATION

CSV = "text/csv; charset=utf-8"
JSON = "application/json"
SVG = "image/svg+xml"
PAGE_SIZE = 100  # observations per GraphQL page (the connection's maximum)
MAX_OBSERVATION_PAGES = 10_000  # bounds the paging loop: a million observations
DEFAULT_INTERVAL = "QUARTER"
# The GraphQL field each filtered route reads; its arguments are the route's parameters (here
# and in the OpenAPI document, api/rest_files/openapi.py).
TIMELINE_FIELD = ("Query", "timeline")
OBSERVATIONS_FIELD = ("Metric", "observations")
CHANGES_FIELD = ("Query", "changes")

METRIC_DOCUMENT = """
query MetricFile($slug: String!, $after: String, $filter: ObservationFilter, $orderBy: ObservationOrder) {
  metric(slug: $slug) {
    slug name description unit
    sources(first: 100) { nodes { slug title publisher url } }
    observations(first: PAGE_SIZE, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { date datePrecision value confidence note entity { slug name } source { slug url } }
    }
  }
  release { version date license citation loadedAt }
}
""".replace("PAGE_SIZE", str(PAGE_SIZE))

TIMELINE_DOCUMENT = """
query TimelineChart($interval: TimelineInterval!, $filter: EventFilter) {
  timeline(interval: $interval, filter: $filter) {
    periodStart events cooperative competitive mixed neutral scoreMean
  }
}
"""

CHANGES_DOCUMENT = """
query Changes($since: String) {
  changes(since: $since) {
    since release
    kinds { kind added { slug release } changed { slug release } removed { slug release } }
  }
}
"""

METRIC_CHANGES_DOCUMENT = """
query MetricChanges { changes { kinds { kind added { slug release } changed { slug release } } } }
"""

# Columns of /v1/metrics/{slug}.csv: the five OWID-like ones first, then the rest.
METRIC_CSV_COLUMNS = (
    "entity",
    "date",
    "value",
    "unit",
    "source",
    "entity_name",
    "date_precision",
    "source_url",
    "confidence",
    "note",
)


Work = Callable[[], Awaitable[Response]]


class FileRoutes:
    def __init__(self, engine: Engine, assets: StaticAssets | None = None) -> None:
        self.engine = engine
        gql = engine.schema._schema
        self.store = PackageStore(gql)
        # Each route takes the parameters of the GraphQL field it reads, as the resources do.
        self.timeline_signature = field_signature(gql, *TIMELINE_FIELD)
        self.observation_signature = field_signature(gql, *OBSERVATIONS_FIELD)
        self.changes_signature = field_signature(gql, *CHANGES_FIELD)
        self.no_parameters = Signature((), (), (), paged=False)
        self.dictionary = orjson.dumps(dictionary(gql), option=orjson.OPT_INDENT_2)
        self.charts = ChartsPage(self, assets)

    # -- helpers

    def _variables(
        self, request: Request, sig: Signature, given: list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """The variables of these query parameters (the request's unless `given`): unknown,
        repeated or malformed ones refused with the REST routes' messages and codes."""
        pairs = query_pairs(request, self.engine.settings.max_query_string_bytes) if given is None else given
        variables, _ = to_variables(sig, pairs, {})
        return variables

    def _cached(
        self, request: Request, media_type: str, build: Callable[[], Awaitable[bytes]], **headers: str
    ) -> Work:
        """The work of a cacheable answer, kept per route and query string."""

        async def built() -> tuple[bytes, dict[str, str]]:
            return await build(), headers

        async def work() -> Response:
            key = ("files", request.url.path, request.scope.get("query_string", b"").decode("latin-1"))
            return await self.engine.answer_get(request, key, built, media_type)

        return work

    async def _data(self, request: Request, document: str, variables: dict[str, Any] | None = None) -> Any:
        return await run_document(self.engine, request, document, variables)

    # -- endpoints

    async def dictionary_endpoint(self, request: Request) -> Response:
        async def build() -> bytes:
            self._variables(request, self.no_parameters)
            return self.dictionary

        return await answered(request, self._cached(request, JSON, build))

    async def changes_endpoint(self, request: Request) -> Response:
        async def build() -> bytes:
            variables = self._variables(request, self.changes_signature)
            since = variables.get("since") or None
            data = await self._data(request, CHANGES_DOCUMENT, {"since": since})
            if data["changes"] is None:
                versions = await self._data(request, "{ release { version } }")
                loaded = versions["release"]["version"] if versions["release"] else "none"
                raise Problem(
                    404,
                    "NOT_FOUND",
                    f"release {since!r} was never loaded here (the loaded release is {loaded})",
                )
            return orjson.dumps(data["changes"])

        return await answered(request, self._cached(request, JSON, build))

    async def latest_package(self, request: Request) -> Response:
        async def work() -> Response:
            self._variables(request, self.no_parameters)
            data = await self._data(request, "{ release { version } }")
            if data["release"] is None:
                raise Problem(404, "NOT_FOUND", "no release is loaded yet")
            return RedirectResponse(
                f"/v1/releases/{data['release']['version']}/dataset.zip",
                status_code=302,
                headers={"cache-control": "no-cache"},
            )

        return await answered(request, work)

    async def package(self, request: Request) -> Response:
        version = request.path_params["version"]

        async def work() -> Response:
            self._variables(request, self.no_parameters)
            if not is_version(version):
                raise Problem(404, "NOT_FOUND", "a release version looks like 1.2.3")
            tag = await self.engine.tag(request)
            # The package depends on the release alone, not on the day.
            built = await self.store.get(request.state.pool, content_hash_of(tag)) if tag else None
            if built is None:
                raise Problem(404, "NOT_FOUND", "no release is loaded yet")
            if built.version != version:
                raise Problem(
                    404,
                    "NOT_FOUND",
                    f"release {version} is not the loaded one; this service serves the package of "
                    f"release {built.version} (/v1/releases/latest/dataset.zip)",
                )
            headers = {
                "etag": built.etag,
                "cache-control": "public, max-age=86400",
                "content-disposition": f'attachment; filename="detente-{built.version}.zip"',
            }
            if built.etag in etags(request.headers.get("if-none-match")):
                return Response(status_code=304, headers=headers)
            return FileResponse(built.path, media_type="application/zip", headers=headers)

        return await answered(request, work)

    async def _metric(self, request: Request, slug: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The metric with all its (matching) observations, paged through GraphQL."""
        asked: dict[str, Any] = {**variables, "slug": slug, "after": None}
        first = await self._data(request, METRIC_DOCUMENT, asked)
        metric = first["metric"]
        if metric is None:
            raise Problem(404, "NOT_FOUND", f"no metric has the slug {slug[:100]!r}")
        nodes = list(metric["observations"]["nodes"])
        page = metric["observations"]["pageInfo"]
        pages = math.ceil(metric["observations"]["totalCount"] / PAGE_SIZE)
        for _ in range(min(pages, MAX_OBSERVATION_PAGES)):
            if not page["hasNextPage"]:
                break
            asked["after"] = page["endCursor"]
            more = (await self._data(request, METRIC_DOCUMENT, asked))["metric"]["observations"]
            nodes.extend(more["nodes"])
            page = more["pageInfo"]
        metric["observations"] = nodes
        metric["release"] = first["release"]
        found: dict[str, Any] = metric
        return found

    async def metric_csv(self, request: Request) -> Response:
        slug = request.path_params["slug"]

        async def build() -> bytes:
            variables = self._variables(request, self.observation_signature)
            metric = await self._metric(request, slug, variables)
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(METRIC_CSV_COLUMNS)
            for o in metric["observations"]:
                writer.writerow(
                    [
                        o["entity"]["slug"],
                        o["date"],
                        repr(float(o["value"])),
                        metric["unit"],
                        o["source"]["slug"],
                        o["entity"]["name"],
                        o["datePrecision"],
                        o["source"]["url"],
                        o["confidence"],
                        o["note"] or "",
                    ]
                )
            return out.getvalue().encode()

        disposition = f'inline; filename="{slug[:100]}.csv"'
        return await answered(
            request, self._cached(request, CSV, build, **{"content-disposition": disposition})
        )

    async def metric_metadata(self, request: Request) -> Response:
        slug = request.path_params["slug"]

        async def build() -> bytes:
            self._variables(request, self.no_parameters)
            metric = await self._metric(request, slug, {})
            changes = await self._data(request, METRIC_CHANGES_DOCUMENT)
            last = next(
                (
                    r["release"]
                    for k in changes["changes"]["kinds"]
                    if k["kind"] == "metric"
                    for r in k["added"] + k["changed"]
                    if r["slug"] == slug
                ),
                None,
            )
            release = metric["release"]
            observations = metric["observations"]
            body = {
                "slug": metric["slug"],
                "name": metric["name"],
                "description": metric["description"],
                "unit": metric["unit"],
                "sources": metric["sources"]["nodes"],
                "entities": sorted({o["entity"]["slug"] for o in observations}),
                "observations": len(observations),
                "dateRange": [
                    (observations and min(o["date"] for o in observations)) or None,
                    (observations and max(o["date"] for o in observations)) or None,
                ],
                "licence": {"name": "CC-BY-4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
                "citation": (
                    f"{metric['name']}, in "
                    + CITATION.format(version=release["version"], date=release["date"])
                    if release
                    else None
                ),
                "lastUpdated": {
                    "release": last,
                    "about": "the release that last added or changed this metric or its observations",
                },
                "release": release,
                "csv": f"/v1/metrics/{metric['slug']}.csv",
                "chart": f"/v1/metrics/{metric['slug']}.svg",
            }
            return orjson.dumps(body, option=orjson.OPT_INDENT_2)

        return await answered(request, self._cached(request, JSON, build))

    async def metric_svg(self, request: Request) -> Response:
        slug = request.path_params["slug"]

        async def build() -> bytes:
            variables = self._variables(request, self.observation_signature)
            metric = await self._metric(request, slug, variables)
            points = [
                svg.Point(o["entity"]["slug"], o["date"], float(o["value"])) for o in metric["observations"]
            ]
            subtitle = _subtitle(
                request, f"Détente release {metric['release']['version']}" if metric["release"] else ""
            )
            return svg.metric_svg(metric["name"], metric["unit"], points, subtitle).encode()

        return await answered(request, self._cached(request, SVG, build))

    async def timeline_data(
        self, request: Request, query: list[tuple[str, str]]
    ) -> tuple[str, list[svg.Bucket]]:
        """The interval and buckets the timeline chart draws for these parameters (the quarter
        unless `interval` is given); raises as GraphQL refuses the same filter."""
        if not any(name == "interval" for name, _ in query):
            query = [*query, ("interval", DEFAULT_INTERVAL)]
        variables = self._variables(request, self.timeline_signature, query)
        data = await self._data(request, TIMELINE_DOCUMENT, variables)
        return str(variables["interval"]), [
            svg.Bucket(
                b["periodStart"],
                b["events"],
                b["cooperative"],
                b["competitive"],
                b["mixed"],
                b["neutral"],
                b["scoreMean"],
            )
            for b in data["timeline"]
        ]

    async def timeline_svg(self, request: Request) -> Response:
        async def build() -> bytes:
            pairs = query_pairs(request, self.engine.settings.max_query_string_bytes)
            interval, buckets = await self.timeline_data(request, pairs)
            return svg.timeline_svg(buckets, interval, _subtitle(request, "All events")).encode()

        return await answered(request, self._cached(request, SVG, build))

    async def charts_endpoint(self, request: Request) -> Response:
        return await answered(request, lambda: self.charts.render(request))

    def routes(self) -> list[BaseRoute]:
        get = ["GET", "HEAD"]

        def route(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
            return Route(path, metered(self.engine, endpoint), methods=get)

        return [
            route("/v1/dictionary", self.dictionary_endpoint),
            route("/v1/changes", self.changes_endpoint),
            route("/v1/releases/latest/dataset.zip", self.latest_package),
            route("/v1/releases/{version}/dataset.zip", self.package),
            route("/v1/metrics/{slug}.csv", self.metric_csv),
            route("/v1/metrics/{slug}.metadata.json", self.metric_metadata),
            route("/v1/metrics/{slug}.svg", self.metric_svg),
            route("/v1/timeline.svg", self.timeline_svg),
            route("/charts", self.charts_endpoint),
        ]


def _subtitle(request: Request, default: str) -> str:
    query = request.query_params.multi_items()
    return "Filters: " + "; ".join(f"{k}={v}" for k, v in query) if query else default


def routes(engine: Engine, assets: StaticAssets | None = None) -> list[BaseRoute]:
    """The routes, for create_app: mount them before the other /v1 routes (rest_api's
    `extra_routes`)."""
    return FileRoutes(engine, assets).routes()
