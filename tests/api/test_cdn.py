"""CDN-friendly answers: every cacheable answer names its release as a surrogate key; an answer
pinned to the loaded release (`?release=<contentHash>`) is immutable; a pin to another release
is a clear 409, never cached."""

from __future__ import annotations

from tests.conftest import Service

QUERY = "{ topics { totalCount } }"


async def _content_hash(service: Service) -> str:
    body = await service.graphql("{ release { contentHash } }")
    tag: str = body["data"]["release"]["contentHash"]  # type: ignore[index]
    return tag


async def test_cacheable_answers_carry_the_release_as_a_surrogate_key(service: Service) -> None:
    tag = await _content_hash(service)
    for _ in range(2):  # computed, then from the cache
        answer = await service.client.get("/graphql", params={"query": QUERY})
        assert answer.headers["surrogate-key"] == f"detente detente-release-{tag}"
        assert answer.headers["cache-tag"] == f"detente,detente-release-{tag}"
        assert answer.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=600"
    validated = await service.client.get(
        "/graphql", params={"query": QUERY}, headers={"if-none-match": answer.headers["etag"]}
    )
    assert validated.status_code == 304 and validated.headers["surrogate-key"] == answer.headers["surrogate-key"]

    for path in ("/v1/topics", "/v1/timeline.svg"):  # REST answers, resources and files alike
        for _ in range(2):
            rest = await service.client.get(path)
            assert rest.headers["surrogate-key"] == f"detente detente-release-{tag}", path
            assert rest.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=600"

    posted = await service.client.post("/graphql", json={"query": QUERY})
    failed = await service.client.get("/graphql", params={"query": "{ nope }"})
    assert "errors" in failed.json()
    for uncacheable in (posted, failed):
        assert "surrogate-key" not in uncacheable.headers and "cache-tag" not in uncacheable.headers
        assert uncacheable.headers["cache-control"] == "no-store"

async def test_an_answer_pinned_to_the_loaded_release_is_immutable(service: Service) -> None:
    tag = await _content_hash(service)
    unpinned = await service.client.get("/graphql", params={"query": QUERY})
    pinned = await service.client.get("/graphql", params={"query": QUERY, "release": tag})
    assert pinned.status_code == 200 and pinned.content == unpinned.content
    assert pinned.headers["etag"] == unpinned.headers["etag"]
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert pinned.headers["surrogate-key"] == f"detente detente-release-{tag}"
    validated = await service.client.get(
        "/graphql", params={"query": QUERY, "release": tag}, headers={"if-none-match": pinned.headers["etag"]}
    )
    assert validated.status_code == 304
    assert validated.headers["cache-control"] == "public, max-age=31536000, immutable"
    head = await service.client.head("/graphql", params={"query": QUERY, "release": tag})
    assert head.status_code == 200 and head.headers["cache-control"].endswith("immutable")


async def test_a_pin_to_another_release_is_a_clear_error(service: Service) -> None:
    tag = await _content_hash(service)
    for other in ("0" * 64, "", "0.0.1-test", tag.upper()):
        refused = await service.client.get(
            "/graphql",
            params={"query": QUERY, "release": other},
            headers={"accept": "application/graphql-response+json"},
        )
        assert refused.status_code == 409, other
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RELEASE_NOT_LOADED"
        assert tag in error["message"]
        assert refused.headers["cache-control"] == "no-store" and "surrogate-key" not in refused.headers
    posted = await service.client.post("/graphql", params={"release": "0" * 64}, json={"query": QUERY})
    assert posted.status_code == 409
