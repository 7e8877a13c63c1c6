"""Content codings: brotli and gzip above COMPRESSION_MIN_BYTES, own ETags, Vary."""

from __future__ import annotations

import gzip

import brotli
import orjson
import pytest

from api.compression import coded_etag, negotiate
from tests.conftest import Service

LARGE = "{ events(first: 50) { nodes { slug title date summary } } }"
SMALL = "{ events(first: 1) { totalCount } }"


async def _raw(service: Service, query: str, encoding: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and the bytes as sent (not decoded by the client)."""
    request = service.client.build_request(
        "GET", "/graphql", params={"query": query}, headers={"accept-encoding": encoding, **headers}
    )
    response = await service.client.send(request, stream=True)
    try:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    finally:
        await response.aclose()
    return response.status_code, dict(response.headers), body


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("deflate", None),
        ("GZIP;Q=0.8", "gzip"),
    ],
)
def test_negotiation_follows_q_values(header: str | None, coding: str | None) -> None:
    assert negotiate(header) == coding


def test_coded_etags_stay_distinct_and_weak_stays_weak() -> None:
    assert coded_etag('"abc"', "gzip") == '"abc-gzip"'
    assert coded_etag('W/"abc"', "br") == 'W/"abc-br"'
    assert coded_etag('"abc"', None) == '"abc"'


@pytest.mark.parametrize(("encoding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
async def test_large_answers_are_coded_with_their_own_etag(service: Service, encoding: str, decode: object) -> None:
    status, plain_headers, plain = await _raw(service, LARGE, "identity")
    assert status == 200 and "content-encoding" not in plain_headers
    assert len(plain) >= 1024
    status, headers, coded = await _raw(service, LARGE, encoding)
    assert status == 200
    assert headers["content-encoding"] == encoding
    assert "accept-encoding" in headers["vary"] and "accept-encoding" in plain_headers["vary"]
    assert int(headers["content-length"]) == len(coded) < len(plain)
    assert callable(decode)
    assert orjson.loads(decode(coded)) == orjson.loads(plain)
    assert headers["etag"] == coded_etag(plain_headers["etag"], encoding) != plain_headers["etag"]

    # Each representation is validated by its own tag (RFC 9110 §8.8.3, §13.1.2).
    status, again, body = await _raw(service, LARGE, encoding, **{"if-none-match": headers["etag"]})
    assert status == 304 and body == b"" and again["etag"] == headers["etag"]
    status, _, _ = await _raw(service, LARGE, "identity", **{"if-none-match": headers["etag"]})
    assert status == 200
    # Answered again from the response cache: the same coded bytes.
    _, _, cached = await _raw(service, LARGE, encoding)
    assert decode(cached) == decode(coded)


async def test_small_answers_are_never_coded(service: Service) -> None:
    status, headers, body = await _raw(service, SMALL, "gzip, br")
    assert status == 200 and "content-encoding" not in headers
    assert orjson.loads(body)["data"]["events"]["totalCount"] >= 1


async def test_post_and_error_answers_are_coded_too(service: Service) -> None:
    response = await service.client.post(
        "/graphql", json={"query": LARGE}, headers={"accept-encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert "etag" not in response.headers
    assert len(response.json()["data"]["events"]["nodes"]) >= 1


async def test_static_files_and_pages_are_coded(service: Service) -> None:
    page = await service.client.get("/graphql", headers={"accept": "text/html", "accept-encoding": "br"})
    assert page.status_code == 200
    script = next(part.split('"')[0] for part in page.text.split('src="')[1:] if "graphiql.min" in part)
    first = await service.client.get(script, headers={"accept-encoding": "gzip"})
    second = await service.client.get(script, headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip" and first.content == second.content
    assert int(first.headers["content-length"]) < len(first.content)
    plain = await service.client.get(script, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == first.content


async def test_rest_answers_are_kept_coded_and_validated_by_their_coded_etag(service: Service) -> None:
    async def get(encoding: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = service.client.build_request(
            "GET", "/v1/events.csv", params={"limit": 50}, headers={"accept-encoding": encoding, **headers}
        )
        response = await service.client.send(request, stream=True)
        try:
            return response.status_code, dict(response.headers), b"".join([c async for c in response.aiter_raw()])
        finally:
            await response.aclose()

    status, plain_headers, plain = await get("identity")
    assert status == 200 and "content-encoding" not in plain_headers
    assert "accept-encoding" in plain_headers["vary"]
    status, headers, coded = await get("br")
    assert status == 200 and headers["content-encoding"] == "br" and headers["detente-cache"] == "miss"
    assert brotli.decompress(coded) == plain
    assert headers["etag"] == coded_etag(plain_headers["etag"], "br")
    status, again, same = await get("br")
    assert again["detente-cache"] == "local" and same == coded, "kept coded: a hit is not coded again"
    status, validated, _ = await get("br", **{"if-none-match": headers["etag"]})
    assert status == 304 and validated["etag"] == headers["etag"]
