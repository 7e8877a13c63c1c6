"""What caches in front of the service (CDNs) need: a surrogate key naming the release on every
cacheable answer, so that a purge by key removes exactly one release's answers, and answers pinned
to a release (`?release=<contentHash>`) that never change, so they may be kept for a year."""

from __future__ import annotations

from db.release import content_hash_of

RELEASE_PARAMETER = "release"
PINNED_CACHE_CONTROL = "public, max-age=31536000, immutable"
SITE_KEY = "detente"  # on every cacheable answer: purge it to drop everything


def release_key(tag: str) -> str:
    return f"detente-release-{tag}"


def cdn_headers(tag: str, pinned: bool) -> dict[str, str]:
    """Surrogate keys (Fastly's `Surrogate-Key`, space-separated; Cloudflare's `Cache-Tag`,
    comma-separated) and, for a pinned answer, a year-long immutable `Cache-Control`."""
    keys = [SITE_KEY, release_key(content_hash_of(tag))]
    headers = {"surrogate-key": " ".join(keys), "cache-tag": ",".join(keys)}
    if pinned:
        headers["cache-control"] = PINNED_CACHE_CONTROL
    return headers


def pin_mismatch(pinned: str, tag: str) -> str | None:
    """The message for a pin that does not name the loaded release; None when it does."""
    tag = content_hash_of(tag)
    if pinned and pinned == tag:
        return None
    shown = pinned[:80]
    if not tag:
        return f"no release is loaded, so none can be pinned (asked for {shown!r})"
    return (
        f"release {shown!r} is not the one loaded: this service answers for release {tag} "
        "(`release { contentHash }`); drop the `release` parameter or pin that one"
    )
