"""API keys and the per-key submission rate limit.

A key is shown once when created (``ai-video keys create NAME``); the store keeps only its
SHA-256. Keys are 256 random bits, so a plain hash is enough: there is nothing to brute
force, and a fast hash keeps every request's check cheap. The rate limit counts the key's
submissions in the store over the last minute, so it holds across restarts and replicas.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time

from ai_video.errors import AiVideoError, InputError
from ai_video.serve.jobs import ApiKey, Clock, JobStore, UnknownApiKey

KEY_PREFIX = "aiv_"
RATE_WINDOW_S = 60.0


class NotAuthenticated(AiVideoError):
    """The request carries no usable ``Authorization: Bearer KEY`` header."""


class NotAdmin(AiVideoError):
    """The key is valid but not an admin key (the operations view needs one)."""


class TooManyActiveJobs(AiVideoError):
    """The key already has as many queued and running jobs as it may."""


class RateLimited(AiVideoError):
    """The key has used up its submissions for now."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many submissions; retry after {retry_after_s} s")


def new_api_key() -> str:
    """A fresh API key: the prefix and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The stored form of a key (hex SHA-256)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(
    store: JobStore, name: str, expires_at: float | None = None, admin: bool = False
) -> tuple[ApiKey, str]:
    """Record a new key named ``name``; returns its record and the key (shown once)."""
    if not name.strip():
        raise InputError("an API key needs a non-empty name")
    key = new_api_key()
    return store.add_key(name.strip(), hash_api_key(key), expires_at, admin=admin), key


def bearer_token(authorization: str | None) -> str:
    """The key in an ``Authorization: Bearer KEY`` header; raises NotAuthenticated."""
    if not authorization:
        raise NotAuthenticated("missing Authorization: Bearer header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Authorization header must be 'Bearer KEY'")
    return token.strip()


def authenticate(store: JobStore, authorization: str | None) -> ApiKey:
    """The caller's key from its Authorization header; raises NotAuthenticated."""
    token = bearer_token(authorization)
    try:
        return store.key_for_hash(hash_api_key(token))
    except UnknownApiKey as exc:
        raise NotAuthenticated(str(exc)) from None


class SubmissionRateLimit:
    """At most ``per_minute`` submissions per key in any 60 s window."""

    def __init__(self, store: JobStore, per_minute: int, clock: Clock = time.time) -> None:
        self._store = store
        self._per_minute = per_minute
        self._clock = clock

    def check(self, key: ApiKey) -> None:
        """Raise RateLimited (with the wait in seconds) when ``key`` may not submit now."""
        now = self._clock()
        recent = self._store.submission_times(key.id, now - RATE_WINDOW_S)
        if len(recent) < self._per_minute:
            return
        frees_at = recent[len(recent) - self._per_minute] + RATE_WINDOW_S
        raise RateLimited(max(1, math.ceil(frees_at - now)))
