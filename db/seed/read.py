"""Reads and validates a seeds/ folder; every problem names its file, record and reason."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from db.seed import models
from db.seed.errors import SeedError, SeedProblem

RecordT = TypeVar("RecordT", bound=BaseModel)


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so the models judge them (and name the record)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Dataset:
    """A validated dataset: every reference resolves, every slug is unique."""

    release: models.Release
    content_hash: str
    topics: list[models.Topic] = field(default_factory=list)
    sources: list[models.Source] = field(default_factory=list)
    actors: list[models.Actor] = field(default_factory=list)
    events: list[models.Event] = field(default_factory=list)
    policies: list[models.Policy] = field(default_factory=list)
    metrics: list[models.Metric] = field(default_factory=list)
    observations: list[models.Observation] = field(default_factory=list)


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[SeedProblem] = []
        self._hash = hashlib.sha256()

    def _name(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent)) if path.is_relative_to(self.root.parent) else str(path)

    def _raw(self, path: Path) -> bytes | None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.problems.append(SeedProblem(self._name(path), "(file)", f"cannot read: {exc}"))
            return None
        self._hash.update(path.relative_to(self.root).as_posix().encode() + b"\0" + data)
        return data

    def yaml_file(self, path: Path) -> Any:
        data = self._raw(path)
        if data is None:
            return None
        if b"\0" in data:
            self.problems.append(_nul_problem(self._name(path), data))
            return None
        try:
            return yaml.load(data, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
        except yaml.YAMLError as exc:
            self.problems.append(SeedProblem(self._name(path), "(file)", f"not valid YAML: {exc}"))
            return None

    def records(self, folder: str, model: type[RecordT]) -> list[tuple[str, RecordT]]:
        """Every record in `folder/*.yaml` (or the single `folder.yaml`), with its file name."""
        paths = sorted((self.root / folder).glob("*.yaml")) if (self.root / folder).is_dir() else []
        single = self.root / f"{folder}.yaml"
        if single.exists():
            paths.insert(0, single)
        out: list[tuple[str, RecordT]] = []
        for path in paths:
            content = self.yaml_file(path)
            if content is None:
                continue
            if not isinstance(content, list):
                self.problems.append(
                    SeedProblem(self._name(path), "(file)", "must be a YAML list of records")
                )
                continue
            for index, raw in enumerate(content):
                out.extend(self._validate(self._name(path), index, raw, model))
        return out

    def observations(self) -> list[tuple[str, models.Observation]]:
        out: list[tuple[str, models.Observation]] = []
        for path in sorted((self.root / "observations").glob("*.csv")):
            data = self._raw(path)
            if data is None:
                continue
            if b"\0" in data:
                self.problems.append(_nul_problem(self._name(path), data))
                continue
            rows = csv.DictReader(data.decode("utf-8").splitlines())
            expected = {"metric", "entity", "date", "value", "source", "confidence", "note"}
            if set(rows.fieldnames or []) != expected:
                self.problems.append(
                    SeedProblem(
                        self._name(path),
                        "(header)",
                        f"columns must be {sorted(expected)}, found {rows.fieldnames}",
                    )
                )
                continue
            for line, row in enumerate(rows, start=2):
                cleaned = {k: (v if v != "" else None) for k, v in row.items()}
                out.extend(
                    self._validate(self._name(path), line, cleaned, models.Observation, label=f"line {line}")
                )
        return out

    def _validate(
        self, file: str, index: int, raw: Any, model: type[RecordT], label: str | None = None
    ) -> Iterator[tuple[str, RecordT]]:
        name = label or _record_label(index, raw)
        if not isinstance(raw, dict):
            self.problems.append(SeedProblem(file, name, "a record must be a mapping of fields"))
            return
        with_nul = [key for key, value in raw.items() if _holds_nul(value)]
        if with_nul:
            # YAML's "\0" escape makes one; Postgres text cannot hold it.
            for key in with_nul:
                self.problems.append(SeedProblem(file, name, f"{key}: contains a NUL character (U+0000)"))
            return
        try:
            yield file, model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "(record)"
                self.problems.append(SeedProblem(file, name, f"{where}: {error['msg']}"))

    def digest(self) -> str:
        return self._hash.hexdigest()


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_nul(v) for v in value.values())
    return False


def _nul_problem(file: str, data: bytes) -> SeedProblem:
    """A raw NUL byte stops the YAML and CSV readers: name the line and the record it is in."""
    offset = data.index(b"\0")
    line = data.count(b"\n", 0, offset) + 1
    slugs = re.findall(rb"^\s*-?\s*slug:\s*(\S+)", data[:offset], flags=re.MULTILINE)
    record = f"record ({slugs[-1].decode('utf-8', 'replace')})" if slugs else f"line {line}"
    return SeedProblem(file, record, f"line {line} contains a NUL byte")


def _record_label(index: int, raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("slug"), str):
        return f"record {index + 1} ({raw['slug']})"
    return f"record {index + 1}"


def read_dataset(root: Path) -> Dataset:
    """Read and validate `root`; raise SeedError listing every problem found."""
    if not root.is_dir():
        raise SeedError([SeedProblem(str(root), "(folder)", "seed folder does not exist")])
    reader = _Reader(root)
    release_raw = reader.yaml_file(root / "release.yaml") if (root / "release.yaml").exists() else None
    release = None
    if release_raw is None:
        reader.problems.append(SeedProblem("release.yaml", "(file)", "missing or empty"))
    else:
        validated = list(reader._validate("release.yaml", 0, release_raw, models.Release, "release"))
        release = validated[0][1] if validated else None

    topics = reader.records("topics", models.Topic)
    sources = reader.records("sources", models.Source)
    actors = reader.records("actors", models.Actor)
    events = reader.records("events", models.Event)
    policies = reader.records("policies", models.Policy)
    metrics = reader.records("metrics", models.Metric)
    observations = reader.observations()

    problems = reader.problems
    topic_slugs = _unique(problems, "topic", topics)
    source_slugs = _unique(problems, "source", sources)
    actor_slugs = _unique(problems, "actor", actors)
    event_slugs = _unique(problems, "event", events)
    policy_slugs = _unique(problems, "policy", policies)
    metric_slugs = _unique(problems, "metric", metrics)
    _unique_field(problems, "source url", ((f, s.slug, s.url) for f, s in sources))

    def check(file: str, slug: str, what: str, refs: Iterable[str], known: set[str]) -> None:
        for ref in refs:
            if ref not in known:
                problems.append(SeedProblem(file, slug, f"unknown {what} {ref!r}"))

    for file, actor in actors:
        check(file, actor.slug, "source", actor.sources, source_slugs)
        check(file, actor.slug, "parent actor", [actor.parent] if actor.parent else [], actor_slugs)
    for file, event in events:
        check(file, event.slug, "actor", (p.actor for p in event.actors), actor_slugs)
        check(file, event.slug, "policy", event.policies, policy_slugs)
        check(file, event.slug, "topic", event.topics, topic_slugs)
        check(file, event.slug, "source", event.sources, source_slugs)
    for file, policy in policies:
        check(file, policy.slug, "issuer actor", [policy.issuer], actor_slugs)
        check(file, policy.slug, "topic", policy.topics, topic_slugs)
        check(file, policy.slug, "source", policy.sources, source_slugs)
    for file, metric in metrics:
        check(file, metric.slug, "source", metric.sources, source_slugs)
    seen_points: set[tuple[str, str, object]] = set()
    for file, obs in observations:
        label = f"{obs.metric}/{obs.entity}/{obs.date.value}"
        check(file, label, "metric", [obs.metric], metric_slugs)
        check(file, label, "entity actor", [obs.entity], actor_slugs)
        check(file, label, "source", [obs.source], source_slugs)
        point = (obs.metric, obs.entity, obs.date.value)
        if point in seen_points:
            problems.append(SeedProblem(file, label, "duplicate observation for this date"))
        seen_points.add(point)
    _check_parent_cycles(problems, actors)
    _check_implements(problems, events, event_slugs)

    if problems or release is None:
        raise SeedError(problems)
    return Dataset(
        release=release,
        content_hash=reader.digest(),
        topics=[r for _, r in topics],
        sources=[r for _, r in sources],
        actors=[r for _, r in actors],
        events=[r for _, r in events],
        policies=[r for _, r in policies],
        metrics=[r for _, r in metrics],
        observations=[r for _, r in observations],
    )


def _unique(problems: list[SeedProblem], kind: str, records: list[tuple[str, Any]]) -> set[str]:
    _unique_field(problems, f"{kind} slug", ((f, r.slug, r.slug) for f, r in records))
    return {r.slug for _, r in records}


def _unique_field(problems: list[SeedProblem], what: str, values: Iterable[tuple[str, str, str]]) -> None:
    first_seen: dict[str, str] = {}
    for file, slug, value in values:
        if value in first_seen:
            problems.append(
                SeedProblem(file, slug, f"duplicate {what} {value!r} (first in {first_seen[value]})")
            )
        else:
            first_seen[value] = file


def _check_implements(
    problems: list[SeedProblem], events: list[tuple[str, models.Event]], known: set[str]
) -> None:
    """`implements` names another, known event that implements nothing itself (one level, so
    the index counts every act exactly once and a chain never needs following)."""
    implements = {e.slug: e.implements for _, e in events}
    for file, event in events:
        target = event.implements
        if target is None:
            continue
        if target == event.slug:
            problems.append(SeedProblem(file, event.slug, "implements: an event cannot implement itself"))
        elif target not in known:
            problems.append(SeedProblem(file, event.slug, f"implements: unknown event {target!r}"))
        elif implements.get(target) is not None:
            problems.append(
                SeedProblem(
                    file,
                    event.slug,
                    f"implements: {target!r} itself implements {implements[target]!r}; name the "
                    "event that implements nothing (one level only)",
                )
            )


def _check_parent_cycles(problems: list[SeedProblem], actors: list[tuple[str, models.Actor]]) -> None:
    parent = {a.slug: a.parent for _, a in actors}
    for file, actor in actors:
        seen = {actor.slug}
        current = actor.parent
        while current is not None:
            if current in seen:
                problems.append(SeedProblem(file, actor.slug, "parent chain forms a cycle"))
                break
            seen.add(current)
            current = parent.get(current)
