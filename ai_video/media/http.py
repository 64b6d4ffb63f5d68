"""HTTP for the generate job: JSON requests with retries, JSON searches, size-capped downloads.

The one place ai_video talks to a web API (yt-dlp fetches sources in ``media/fetch.py``).
Callers in generate/ build the requests and judge the answers; this module moves the bytes,
retries what is worth retrying and says in its errors what the server did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from ai_video.config import UrlPolicyConfig
from ai_video.errors import AiVideoError
from ai_video.media.files import replace_atomic
from ai_video.media.guard_transport import GuardedTransport

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_JSON = {"Content-Type": "application/json"}


class HttpError(AiVideoError):
    """An HTTP exchange failed; the message says how (exception name or status, and detail)."""


class HttpRefused(HttpError):
    """The server answered with a status that retrying cannot fix (e.g. 400, 401, 404)."""


class HttpUnavailable(HttpError):
    """The server could not be reached, or kept failing, for every attempt."""


class DownloadTooLarge(HttpError):
    """A download went past its size cap."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a request is retried."""

    max_attempts: int
    backoff_s: float
    max_backoff_s: float

    def wait_s(self, attempt: int, retry_after: str | None) -> float:
        """Exponential backoff, or the server's ``Retry-After`` seconds when it sent them."""
        if retry_after is not None:
            try:
                return min(float(retry_after), self.max_backoff_s)
            except ValueError:
                pass
        return float(min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s))


class HttpClient:
    """A pooled HTTP client with bearer auth; counts the requests it sends."""

    def __init__(
        self,
        timeout_s: float,
        bearer_token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        follow_redirects: bool = False,
        download_policy: UrlPolicyConfig | None = None,
    ) -> None:
        """Prepare the connection pool (no request is sent yet).

        ``bearer_token`` goes with the API calls (:meth:`post_json`, :meth:`get_json`) only,
        never with :meth:`download`: a result URL may name any host, and the token is not
        theirs to see (httpx also drops it on a redirect to another origin). With
        ``download_policy``, downloads (and their redirects) go only where the URL policy
        allows (:class:`~ai_video.media.guard_transport.GuardedTransport`).
        """
        self._auth = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else {}
        self._http = httpx.Client(
            timeout=timeout_s,
            transport=transport,
            follow_redirects=follow_redirects,
        )
        self._downloads = self._http
        if download_policy is not None:
            self._downloads = httpx.Client(
                timeout=timeout_s,
                transport=GuardedTransport(download_policy, transport),
                follow_redirects=follow_redirects,
            )
        self.requests = 0

    def close(self) -> None:
        """Close the connection pools."""
        self._http.close()
        self._downloads.close()

    def post_json(
        self, url: str, body: Mapping[str, Any], retry: RetryPolicy, label: str = "HTTP"
    ) -> bytes:
        """POST ``body`` as JSON until a 200 answer; return its body.

        Connection errors and :data:`RETRY_STATUS` answers are retried under ``retry``;
        raises :class:`HttpRefused` for any other status and :class:`HttpUnavailable` when the
        attempts run out. ``label`` names the service in the retry warnings.
        """
        last_problem = "no attempt made"
        for attempt in range(1, retry.max_attempts + 1):
            self.requests += 1
            try:
                response = self._http.post(
                    url, content=orjson.dumps(body), headers=_JSON | self._auth
                )
            except httpx.TransportError as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
                wait_s = retry.wait_s(attempt, None)
            else:
                if response.status_code == 200:
                    return response.content
                last_problem = f"HTTP {response.status_code}: {snippet(response.text)}"
                if response.status_code not in RETRY_STATUS:
                    raise HttpRefused(last_problem)
                wait_s = retry.wait_s(attempt, response.headers.get("retry-after"))
            if attempt < retry.max_attempts:
                log.warning(
                    "%s request failed (%s); retry %d in %.1f s",
                    label,
                    last_problem,
                    attempt,
                    wait_s,
                )
                time.sleep(wait_s)
        raise HttpUnavailable(last_problem)

    def get_json(self, url: str, params: Mapping[str, str]) -> Any:
        """GET ``url`` and parse its JSON body; :class:`HttpError` (``Name: detail``) on failure."""
        self.requests += 1
        try:
            response = self._http.get(url, params=params, headers=self._auth)
            response.raise_for_status()
            return orjson.loads(response.content)
        except (httpx.HTTPError, orjson.JSONDecodeError) as exc:
            raise HttpError(f"{type(exc).__name__}: {exc}") from None

    def download(
        self,
        url: str,
        final_path: Callable[[str], Path],
        max_bytes: int,
    ) -> Path:
        """Stream ``url`` to ``final_path(content_type)``, atomically, refusing big bodies.

        ``final_path`` sees the answer's content type before the body is read and may raise to
        refuse it. Raises :class:`HttpError` (the httpx message) or :class:`DownloadTooLarge`.
        """
        self.requests += 1
        try:
            with self._downloads.stream("GET", url) as response:
                response.raise_for_status()
                path = final_path(response.headers.get("content-type", ""))
                with replace_atomic(path, unique=True) as partial:
                    _save(response, partial, max_bytes)
                return path
        except httpx.HTTPError as exc:
            raise HttpError(str(exc)) from None


def _save(response: httpx.Response, path: Path, max_bytes: int) -> None:
    """Stream a response body to ``path``, refusing bodies over ``max_bytes``."""
    written = 0
    with path.open("wb") as handle:
        for chunk in response.iter_bytes():
            written += len(chunk)
            if written > max_bytes:
                raise DownloadTooLarge(f"{response.url}: larger than {max_bytes} bytes")
            handle.write(chunk)


def snippet(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters: a server answer fit for a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
