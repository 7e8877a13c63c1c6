"""The /charts page: the timeline and a metric chart as server-drawn SVG images, with the
filters as a plain GET form (no script at all), under the pages' Content-Security-Policy."""

from __future__ import annotations

from html import escape
from string import Template
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.assets import StaticAssets
from api.pages import SECURITY_HEADERS, TEMPLATES_DIR, _render
from api.problems import Problem
from api.rest.parameters import ParameterError
from api.rest.run import run_document

if TYPE_CHECKING:
    from api.rest_files.routes import FileRoutes

# The pages' policy, but the form may submit to this origin.
HEADERS = {
    **SECURITY_HEADERS,
    "content-security-policy": SECURITY_HEADERS["content-security-policy"].replace(
        "form-action 'none'", "form-action 'self'"
    ),
}
METRICS_DOCUMENT = "{ metrics(first: 100) { nodes { slug name } } }"
TIMELINE_FIELDS = ("category", "stance", "date_from", "date_to", "involves_us_and_china", "actor", "topic")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _options(choices: list[tuple[str, str]], chosen: set[str]) -> str:
    return "".join(
        f'<option value="{_e(v)}"{" selected" if v in chosen else ""}>{_e(label)}</option>'
        for v, label in choices
    )


class ChartsPage:
    def __init__(self, routes: FileRoutes, assets: StaticAssets | None = None) -> None:
        self.routes = routes
        self.assets = assets or StaticAssets()
        self.params = routes.timeline_signature.by_name()
        self.template = Template((TEMPLATES_DIR / "charts.html").read_text(encoding="utf-8"))

    def _checks(self, name: str, chosen: set[str]) -> str:
        return "".join(
            f'<label><input type="checkbox" name="{name}" value="{_e(v)}"'
            f"{' checked' if v in chosen else ''}> {_e(v.lower())}</label>"
            for v in self.params[name].values()
        )

    async def _check_timeline(self, request: Request, query: dict[str, str]) -> list[str]:
        """Why the timeline chart would be refused (its problem's detail), so the page can say so."""
        try:
            await self.routes.timeline_data(request, list(query.items()))
        except (Problem, ParameterError) as refused:
            return [str(refused)]
        return []

    async def render(self, request: Request) -> Response:
        # Lists may come as repeated parameters (a form's multi-select) or comma-separated.
        asked: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            if value.strip():
                asked.setdefault(key, []).extend(v.strip() for v in value.split(",") if v.strip())

        def one(name: str) -> str:
            return (asked.get(name) or [""])[0]

        timeline_query = {k: ",".join(asked[k]) for k in TIMELINE_FIELDS if k in asked}
        interval = one("interval").upper() or "QUARTER"
        timeline_query["interval"] = interval
        metric_query = {
            k: v
            for k, v in (
                ("entity", ",".join(asked.get("entity", []))),
                ("date_from", one("date_from")),
                ("date_to", one("date_to")),
            )
            if v
        }
        problems = []
        try:
            metrics = (await run_document(self.routes.engine, request, METRICS_DOCUMENT))["metrics"]["nodes"]
        except Problem:
            metrics = []
            problems.append("The list of metrics could not be read.")
        metric = one("metric") or (metrics[0]["slug"] if metrics else "")
        if metric and metric not in {m["slug"] for m in metrics}:
            problems.append(f"No metric has the slug {metric[:100]!r}; showing the first one.")
            metric = metrics[0]["slug"] if metrics else ""
        problems += await self._check_timeline(request, timeline_query)
        timeline_url = f"/v1/timeline.svg?{urlencode(timeline_query)}"
        metric_url = f"/v1/metrics/{metric}.svg" + (f"?{urlencode(metric_query)}" if metric_query else "")

        values = {
            "favicon": self.assets.url("detente/favicon.svg"),
            "charts_css": self.assets.url("detente/charts.css"),
            "date_from": one("date_from"),
            "date_to": one("date_to"),
            "actor": ",".join(asked.get("actor", [])),
            "topic": ",".join(asked.get("topic", [])),
            "entity": ",".join(asked.get("entity", [])),
            "timeline_url": timeline_url,
            "metric_url": metric_url,
            "metric_csv": f"/v1/metrics/{metric}.csv",
            "metric_metadata": f"/v1/metrics/{metric}.metadata.json",
        }
        fragments = {
            "problems": "".join(f'<p class="problem">{_e(p)}</p>' for p in problems),
            "interval_options": _options(
                [(v, v.lower()) for v in self.params["interval"].values()], {interval}
            ),
            "category_options": _options(
                [(v, v) for v in self.params["category"].values()], set(asked.get("category", []))
            ),
            "stance_checks": self._checks("stance", set(asked.get("stance", []))),
            "involves_options": _options(
                [("", "any"), ("true", "both US and Chinese actors"), ("false", "not both")],
                {one("involves_us_and_china")},
            ),
            "metric_options": _options([(m["slug"], m["name"]) for m in metrics], {metric}),
        }
        page = _render(self.template, values, fragments)
        return HTMLResponse(page, headers=HEADERS)
