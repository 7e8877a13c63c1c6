"""The release as a Frictionless Data Package (a zip): datapackage.json with a Table Schema per
CSV, one CSV per table and link table, the data dictionary, README, LICENSE, CITATION.cff and
the CHANGELOG. Built from the loaded database, the same bytes for the same release: entries in
a fixed order, with the release date as their time, rows ordered by slug."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import IO, Any

import asyncpg
import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from api.rest_files.dictionary import dictionary, type_of
from db.entities import BY_KIND
from db.package import ALL_TABLES, LINK_TABLES, TABLES, release_for_package, table_rows
from db.seed.models import _SLUG
from schema.release import CITATION

LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENSE_LEGALCODE = "https://creativecommons.org/licenses/by/4.0/legalcode"
_SCALARS = {
    "String": "string",
    "ID": "string",
    "Int": "integer",
    "Float": "number",
    "Date": "date",
    "Boolean": "boolean",
}


def _camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(p.title() for p in rest)


def _field(name: str, gql_type: Any, description: str) -> dict[str, Any]:
    named = get_named_type(gql_type)
    inner = gql_type.of_type if isinstance(gql_type, GraphQLNonNull) else gql_type
    field: dict[str, Any] = {"name": name, "description": description}
    constraints: dict[str, Any] = {}
    if isinstance(inner, GraphQLList):
        field["type"] = "array"
        field["description"] += " (a JSON array)"
    elif isinstance(named, GraphQLObjectType):
        field["type"] = "string"
        field["description"] += f" (the {named.name.lower()}'s slug)"
    elif isinstance(named, GraphQLEnumType):
        field["type"] = "string"
        constraints["enum"] = list(named.values)
    else:
        field["type"] = _SCALARS[named.name]
    if isinstance(gql_type, GraphQLNonNull):
        constraints["required"] = True
    if name == "slug":
        constraints.update({"unique": True, "pattern": _SLUG.strip("^$")})
    if constraints:
        field["constraints"] = constraints
    return field


def table_schemas(schema: GraphQLSchema) -> dict[str, dict[str, Any]]:
    """A Table Schema for every package table, from the GraphQL fields its columns are."""
    schemas: dict[str, dict[str, Any]] = {}
    for table, package_table in TABLES.items():
        t = type_of(schema, table)
        columns = package_table.columns
        fields = [_field(c, t.fields[_camel(c)].type, t.fields[_camel(c)].description or "") for c in columns]
        foreign = [
            {
                "fields": column,
                "reference": {"resource": "" if target == table else target, "fields": "slug"},
            }
            for column, target in package_table.references.items()
        ]
        schemas[table] = {
            "fields": fields,
            "primaryKey": list(package_table.primary_key),
            **({"foreignKeys": foreign} if foreign else {}),
        }
    for table, link in LINK_TABLES.items():
        columns = link.columns
        left, right = columns[0], columns[1]
        plural = BY_KIND[right].plural
        relation = type_of(schema, left).fields[plural]
        about = relation.description or ""
        fields = [
            {
                "name": left,
                "type": "string",
                "constraints": {"required": True},
                "description": f"The {left}'s slug. {type_of(schema, left).name}.{plural}: {about}",
            },
            {
                "name": right,
                "type": "string",
                "constraints": {"required": True},
                "description": f"The {right}'s slug.",
            },
        ]
        if "role" in columns:
            role = schema.type_map["ActorRoleEdge"]
            assert isinstance(role, GraphQLObjectType)
            fields.append(_field("role", role.fields["role"].type, role.fields["role"].description or ""))
        schemas[table] = {
            "fields": fields,
            "primaryKey": list(columns),
            "foreignKeys": [
                {"fields": left, "reference": {"resource": left, "fields": "slug"}},
                {"fields": right, "reference": {"resource": right, "fields": "slug"}},
            ],
        }
    return schemas


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # a text[] (aliases): a JSON array, as the Table Schema says
        return orjson.dumps(value).decode()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def descriptor(schema: GraphQLSchema, release: dict[str, Any]) -> dict[str, Any]:
    version = release["version"]
    return {
        "profile": "tabular-data-package",
        "name": "detente",
        "title": "Détente: US–China relations in AI, a cited dataset",
        "description": release["notes"],
        "version": version,
        "created": f"{release['released_on'].isoformat()}T00:00:00Z",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": LICENSE_URL,
                "title": "Creative Commons Attribution 4.0 International",
            }
        ],
        "citation": CITATION.format(version=version, date=release["released_on"].isoformat()),
        "resources": [
            {
                "name": table.replace("_", "-"),
                "path": f"data/{table}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema,
            }
            for table, table_schema in _resolved(table_schemas(schema)).items()
        ],
    }


def _resolved(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Foreign keys name resources, whose names use hyphens (Frictionless names are `[a-z0-9._-]`)."""
    for s in schemas.values():
        for fk in s.get("foreignKeys", []):
            fk["reference"]["resource"] = fk["reference"]["resource"].replace("_", "-")
    return schemas


def _readme(release: dict[str, Any], has_changelog: bool) -> str:
    version, day = release["version"], release["released_on"].isoformat()
    tables = "\n".join(f"- `data/{t}.csv`" for t in ALL_TABLES)
    return f"""# Détente dataset, release {version} ({day})

US–China relations in AI: events, policies, actors, metrics with their observations, sources
and topics, every record cited. {release["notes"]}

This is a Frictionless (tabular) Data Package: `datapackage.json` describes every file, with a
Table Schema per CSV (types, allowed values, keys and foreign keys, descriptions). Validate it
with `frictionless validate datapackage.json`.

## Files

{tables}
- `dictionary.json`: every field of every kind of record, with its type, allowed values and
  description (the same as the GraphQL schema's and `/v1/dictionary`).
- `LICENSE.md`, `CITATION.cff`{", `CHANGELOG.md` (the data changelog)" if has_changelog else ""}.

Records refer to each other by slug (slugs never change); a link table (`event_actor`, …)
holds one row per pair. Empty cells are nulls; `actor.aliases` is a JSON array. Dates are ISO
8601, with a `*_precision` column (DAY, MONTH, YEAR) where a date may be known only to the
month or year (the date is then the first day of the period).

## Licence and citation

Licensed CC BY 4.0 ({LICENSE_URL}). Cite as:

{CITATION.format(version=version, date=day)}
"""


def _license() -> str:
    return f"""# Licence

The Détente dataset is licensed under the Creative Commons Attribution 4.0 International
licence (CC BY 4.0, SPDX `CC-BY-4.0`).

Summary: {LICENSE_URL}
Legal code (the licence's full, authoritative text): {LICENSE_LEGALCODE}

You may share and adapt the data for any purpose, provided you give appropriate credit (cite
the release as CITATION.cff says), link to the licence and indicate if changes were made.
"""


def _citation_cff(release: dict[str, Any]) -> str:
    version, day = release["version"], release["released_on"].isoformat()
    title = "Détente: US–China relations in AI, a cited dataset"
    return (
        "cff-version: 1.2.0\n"
        'message: "If you use this dataset, please cite it as below."\n'
        "type: dataset\n"
        f'title: "{title}"\n'
        f'version: "{version}"\n'
        f"date-released: {day}\n"
        "license: CC-BY-4.0\n"
        "authors:\n"
        '  - name: "Détente contributors"\n'
        f'abstract: "{CITATION.format(version=version, date=day)}"\n'
    )


class _ZipWriter:
    """Entries in a fixed order with a fixed time and mode: the same content, the same bytes."""

    def __init__(self, target: IO[bytes], day: dt.date) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.when = (day.year, day.month, day.day, 0, 0, 0)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 3
        return info

    def text(self, name: str, content: str) -> None:
        self.zip.writestr(self._info(name), content.encode(), compresslevel=6)

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(self._info(name), "w", force_zip64=True)

    def close(self) -> None:
        self.zip.close()


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n"


async def write_package(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, schema: GraphQLSchema, target: IO[bytes]
) -> dict[str, Any] | None:
    """Writes the loaded release's package to `target`; returns the release (None: none loaded).
    One snapshot (repeatable read) for the release row and every table; rows stream from a
    cursor, so memory stays bounded whatever the size."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        release = await release_for_package(conn)
        if release is None:
            return None
        writer = _ZipWriter(target, release["released_on"])
        changelog = release["changelog"]
        writer.text("datapackage.json", _json(descriptor(schema, release)))
        writer.text("README.md", _readme(release, changelog is not None))
        writer.text("LICENSE.md", _license())
        writer.text("CITATION.cff", _citation_cff(release))
        if changelog is not None:
            writer.text("CHANGELOG.md", changelog)
        writer.text("dictionary.json", _json(dictionary(schema)))
        for table, package_table in ALL_TABLES.items():
            entry = writer.open(f"data/{table}.csv")
            text = io.TextIOWrapper(entry, encoding="utf-8", newline="")
            out = csv.writer(text, lineterminator="\n")
            out.writerow(package_table.columns)
            async for batch in table_rows(conn, table):
                await asyncio.to_thread(out.writerows, ([_cell(v) for v in row] for row in batch))
            text.flush()
            text.detach()
            entry.close()
        await asyncio.to_thread(writer.close)
    return release


def file_etag(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return f'"{h.hexdigest()[:32]}"'


_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?")


def is_version(text: str) -> bool:
    return len(text) <= 100 and _VERSION.fullmatch(text) is not None
