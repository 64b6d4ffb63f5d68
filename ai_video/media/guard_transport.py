"""An httpx transport that connects only where the URL policy allows.

Each request (and so each redirect, which httpx sends as a new request) has its host
resolved and checked by :func:`ai_video.media.url_policy.checked_target`; the connection
goes to the checked address itself (the request is re-addressed to it, keeping the ``Host``
header and, for https, the TLS server name), so a second DNS answer cannot redirect it.
"""

from __future__ import annotations

import httpx

from ai_video.config import UrlPolicyConfig
from ai_video.media.url_policy import UrlRefused, checked_target

_DEFAULT_PORTS = {"http": 80, "https": 443}


class GuardedTransport(httpx.BaseTransport):
    """Wraps a transport; refuses (``httpx.ConnectError``) hosts the policy does not allow."""

    def __init__(self, policy: UrlPolicyConfig, inner: httpx.BaseTransport | None = None) -> None:
        """Check every request against ``policy`` before ``inner`` sends it."""
        self._policy = policy
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to its host's checked address, or refuse it."""
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.ConnectError(f"scheme {url.scheme!r} not allowed", request=request)
        try:
            target = checked_target(url.host, url.port or _DEFAULT_PORTS[url.scheme], self._policy)
        except UrlRefused as exc:
            raise httpx.ConnectError(f"refused by the URL policy: {exc}", request=request) from None
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=target.addresses[0]),
            headers=request.headers,  # keeps Host: the name the caller asked for
            stream=request.stream,
            extensions=extensions,
        )
        return self._inner.handle_request(pinned)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
