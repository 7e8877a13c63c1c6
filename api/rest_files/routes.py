"""The REST routes for files, changes and charts: the dataset package, the data dictionary,
what changed between releases, per-metric CSV, metadata and SVG, the timeline SVG and the
/charts page. Each answer is built from a GraphQL document run by the same executor as
/graphql (api/rest_files/execute.py), except the package, which is built from the tables."""

from __future__ import annotations

import csv
import io
import logging
import math
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.assets import StaticAssets
from api.problems import problem
from api.release_tag import ReleaseTag
from api.rest_files import svg
from api.rest_files.charts import ChartsPage
from api.rest_files.dictionary import dictionary
from api.rest_files.execute import Executor, Failed, cached, unavailable
from api.rest_files.package import is_version
from api.rest_files.params import Param, UnknownParameters, filter_params, read_filter
from api.rest_files.store import PackageStore
from api.settings import Settings
from schema.build import DetenteSchema
from schema.release import CITATION

logger = logging.getLogger("detente.files")

CSV = "text/csv; charset=utf-8"
JSON = "application/json"
SVG = "image/svg+xml"
PAGE_SIZE = 100  # observations per GraphQL page (the connection's maximum)
MAX_OBSERVATION_PAGES = 10_000  # bounds the paging loop: a million observations
INTERVALS = ("MONTH", "QUARTER", "YEAR")

METRIC_DOCUMENT = """
query MetricFile($slug: String!, $after: String, $filter: ObservationFilter) {
  metric(slug: $slug) {
    slug name description unit
    sources(first: 100) { nodes { slug title publisher url } }
    observations(first: PAGE_SIZE, after: $after, filter: $filter) {
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


def _query(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


class FileRoutes:
    def __init__(
        self,
        schema: DetenteSchema,
        settings: Settings,
        assets: StaticAssets | None = None,
        release_tag: ReleaseTag | None = None,
    ) -> None:
        self.executor = Executor(schema, settings, release_tag)
        self.settings = settings
        self.store = PackageStore(schema._schema)
        graphql_schema = schema._schema
        self.event_params = filter_params(graphql_schema, "EventFilter")
        self.observation_params = filter_params(graphql_schema, "ObservationFilter")
        self.dictionary = orjson.dumps(dictionary(graphql_schema), option=orjson.OPT_INDENT_2)
        self.charts = ChartsPage(self, assets)

    # -- helpers

    def _params(
        self,
        request: Request,
        params: list[Param],
        others: frozenset[str] = frozenset(),
        given: list[tuple[str, str]] | None = None,
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The filter and the other parameters asked for; Failed (400 or 414) when a parameter
        is unknown or the query string too long."""
        raw = request.scope.get("query_string", b"")
        if len(raw) > self.settings.max_query_string_bytes:
            raise Failed(
                problem(
                    request,
                    414,
                    "URI_TOO_LONG",
                    f"the query string is {len(raw)} bytes, over the limit of "
                    f"{self.settings.max_query_string_bytes}",
                )
            )
        query = _query(request) if given is None else given
        try:
            found = read_filter(params, query, others)
        except UnknownParameters as error:
            known = sorted({p.name for p in params} | others)
            raise Failed(
                problem(
                    request,
                    400,
                    "BAD_USER_INPUT",
                    f"unknown query parameter(s): {', '.join(error.names)}; known: {', '.join(known)}",
                    parameters=error.names,
                )
            ) from None
        rest = {k: v for k, v in query if k in others}
        return found, rest

    async def _answer(self, request: Request, work: Any) -> Response:
        try:
            result: Response = await work
        except Failed as failed:
            return failed.response
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            logger.exception("file route failed on the database")
            return unavailable(request).response
        return result

    # -- endpoints

    async def dictionary_endpoint(self, request: Request) -> Response:
        async def work() -> Response:
            self._params(request, [])
            return cached(request, "dictionary", self.dictionary, JSON)

        return await self._answer(request, work())

    async def changes_endpoint(self, request: Request) -> Response:
        async def work() -> Response:
            _, rest = self._params(request, [], frozenset({"since"}))
            since = rest.get("since") or None
            tag = await self.executor.tag(request)
            data = await self.executor.data(request, CHANGES_DOCUMENT, {"since": since})
            if data["changes"] is None:
                versions = await self.executor.data(request, "{ release { version } }")
                loaded = versions["release"]["version"] if versions["release"] else "none"
                return problem(
                    request,
                    404,
                    "NOT_FOUND",
                    f"release {since!r} was never loaded here (the loaded release is {loaded})",
                )
            return cached(request, tag, orjson.dumps(data["changes"]), JSON)

        return await self._answer(request, work())

    async def latest_package(self, request: Request) -> Response:
        async def work() -> Response:
            self._params(request, [])
            data = await self.executor.data(request, "{ release { version } }")
            if data["release"] is None:
                return problem(request, 404, "NOT_FOUND", "no release is loaded yet")
            return RedirectResponse(
                f"/v1/releases/{data['release']['version']}/dataset.zip",
                status_code=302,
                headers={"cache-control": "no-cache"},
            )

        return await self._answer(request, work())

    async def package(self, request: Request) -> Response:
        version = request.path_params["version"]

        async def work() -> Response:
            self._params(request, [])
            if not is_version(version):
                return problem(request, 404, "NOT_FOUND", "a release version looks like 1.2.3")
            tag = await self.executor.tag(request)
            # The tag is `contentHash/day`; the package depends on the release alone.
            built = await self.store.get(request.state.pool, tag.split("/", 1)[0]) if tag else None
            if built is None:
                return problem(request, 404, "NOT_FOUND", "no release is loaded yet")
            if built.version != version:
                return problem(
                    request,
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
            sent = request.headers.get("if-none-match") or ""
            if built.etag in {t.strip().removeprefix("W/") for t in sent.split(",")[:50]}:
                return Response(status_code=304, headers=headers)
            return FileResponse(built.path, media_type="application/zip", headers=headers)

        return await self._answer(request, work())

    async def _metric(self, request: Request, slug: str, filter_: dict[str, Any] | None) -> dict[str, Any]:
        """The metric with all its (matching) observations, paged through GraphQL."""
        variables: dict[str, Any] = {"slug": slug, "after": None, "filter": filter_}
        first = await self.executor.data(request, METRIC_DOCUMENT, variables)
        metric = first["metric"]
        if metric is None:
            raise Failed(problem(request, 404, "NOT_FOUND", f"no metric has the slug {slug[:100]!r}"))
        nodes = list(metric["observations"]["nodes"])
        page = metric["observations"]["pageInfo"]
        pages = math.ceil(metric["observations"]["totalCount"] / PAGE_SIZE)
        for _ in range(min(pages, MAX_OBSERVATION_PAGES)):
            if not page["hasNextPage"]:
                break
            variables["after"] = page["endCursor"]
            more = (await self.executor.data(request, METRIC_DOCUMENT, variables))["metric"]["observations"]
            nodes.extend(more["nodes"])
            page = more["pageInfo"]
        metric["observations"] = nodes
        metric["release"] = first["release"]
        found: dict[str, Any] = metric
        return found

    async def metric_csv(self, request: Request) -> Response:
        async def work() -> Response:
            filter_, _ = self._params(request, self.observation_params)
            tag = await self.executor.tag(request)
            metric = await self._metric(request, request.path_params["slug"], filter_)
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
            disposition = f'inline; filename="{metric["slug"]}.csv"'
            return cached(request, tag, out.getvalue().encode(), CSV, {"content-disposition": disposition})

        return await self._answer(request, work())

    async def metric_metadata(self, request: Request) -> Response:
        async def work() -> Response:
            self._params(request, [])
            slug = request.path_params["slug"]
            tag = await self.executor.tag(request)
            metric = await self._metric(request, slug, None)
            changes = await self.executor.data(request, METRIC_CHANGES_DOCUMENT)
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
            return cached(request, tag, orjson.dumps(body, option=orjson.OPT_INDENT_2), JSON)

        return await self._answer(request, work())

    async def metric_svg(self, request: Request) -> Response:
        async def work() -> Response:
            filter_, _ = self._params(request, self.observation_params)
            tag = await self.executor.tag(request)
            metric = await self._metric(request, request.path_params["slug"], filter_)
            points = [
                svg.Point(o["entity"]["slug"], o["date"], float(o["value"])) for o in metric["observations"]
            ]
            subtitle = _subtitle(
                request, f"Détente release {metric['release']['version']}" if metric["release"] else ""
            )
            body = svg.metric_svg(metric["name"], metric["unit"], points, subtitle).encode()
            return cached(request, tag, body, SVG)

        return await self._answer(request, work())

    async def timeline_data(
        self, request: Request, query: list[tuple[str, str]]
    ) -> tuple[str, list[svg.Bucket]]:
        """The interval and buckets the timeline chart draws for these parameters; Failed when
        they are refused (as GraphQL refuses the same filter)."""
        filter_, rest = self._params(request, self.event_params, frozenset({"interval"}), query)
        interval = (rest.get("interval") or "QUARTER").upper()
        if interval not in INTERVALS:
            raise Failed(
                problem(
                    request,
                    400,
                    "BAD_USER_INPUT",
                    f"interval must be one of {', '.join(INTERVALS)}, got {interval[:40]!r}",
                )
            )
        variables = {"interval": interval, "filter": filter_}
        data = await self.executor.data(request, TIMELINE_DOCUMENT, variables)
        return interval, [
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
        async def work() -> Response:
            tag = await self.executor.tag(request)
            interval, buckets = await self.timeline_data(request, _query(request))
            body = svg.timeline_svg(buckets, interval, _subtitle(request, "All events")).encode()
            return cached(request, tag, body, SVG)

        return await self._answer(request, work())

    async def charts_endpoint(self, request: Request) -> Response:
        return await self._answer(request, self.charts.render(request))

    def routes(self) -> list[BaseRoute]:
        get = ["GET", "HEAD"]
        return [
            Route("/v1/dictionary", self.dictionary_endpoint, methods=get),
            Route("/v1/changes", self.changes_endpoint, methods=get),
            Route("/v1/releases/latest/dataset.zip", self.latest_package, methods=get),
            Route("/v1/releases/{version}/dataset.zip", self.package, methods=get),
            Route("/v1/metrics/{slug}.csv", self.metric_csv, methods=get),
            Route("/v1/metrics/{slug}.metadata.json", self.metric_metadata, methods=get),
            Route("/v1/metrics/{slug}.svg", self.metric_svg, methods=get),
            Route("/v1/timeline.svg", self.timeline_svg, methods=get),
            Route("/charts", self.charts_endpoint, methods=get),
        ]


def _subtitle(request: Request, default: str) -> str:
    query = _query(request)
    return "Filters: " + "; ".join(f"{k}={v}" for k, v in query) if query else default


def routes(
    schema: DetenteSchema,
    settings: Settings,
    assets: StaticAssets | None = None,
    release_tag: ReleaseTag | None = None,
) -> list[BaseRoute]:
    """The routes, for create_app: mount them before the other /v1 routes. `release_tag` is the
    app's own, so a release notification reaches these answers' ETags too."""
    return FileRoutes(schema, settings, assets, release_tag).routes()
