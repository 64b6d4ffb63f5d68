"""A loopback SOCKS5 proxy that connects only where the URL policy allows, and counts bytes.

yt-dlp is pointed at this proxy (``socks5h://``, so host names travel to the proxy
unresolved) for one fetch. Each CONNECT — the page, every redirect, every media request —
is resolved and checked by :func:`ai_video.media.url_policy.checked_target`, and the proxy
connects to the checked address itself, so the address actually connected is the one that
was checked (no second lookup a rebinding DNS server could answer differently). Bytes coming
back are counted over all connections and cut at the download cap.

Every refusal is answered with the same SOCKS "general failure" and logged with its reason,
so a client learns nothing about closed, open or filtered ports behind it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import select
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from ai_video.config import UrlPolicyConfig
from ai_video.media.url_policy import UrlRefused, checked_target

log = logging.getLogger(__name__)

_SOCKS5 = 5
_CONNECT = 1
_ATYP_IPV4, _ATYP_DOMAIN, _ATYP_IPV6 = 1, 3, 4
_REPLY_OK = b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"
_REPLY_FAILED = b"\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00"
_CHUNK = 64 * 1024
_POLL_S = 0.5


@dataclass
class ProxyLedger:
    """What one guarded fetch did: refusals (for the log) and bytes received."""

    max_bytes: int
    received: int = 0
    refusals: list[str] = field(default_factory=list)
    over_cap: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, count: int) -> bool:
        """Count ``count`` received bytes; False once the cap is passed."""
        with self.lock:
            self.received += count
            if self.received > self.max_bytes:
                self.over_cap = True
            return not self.over_cap


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, policy: UrlPolicyConfig, ledger: ProxyLedger, timeout_s: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.policy = policy
        self.ledger = ledger
        self.connect_timeout_s = timeout_s
        self.stopping = threading.Event()


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(self.server.connect_timeout_s)
        try:
            host, port = _read_connect(client)
        except (OSError, ValueError) as exc:
            log.debug("guard proxy: bad SOCKS request (%s)", exc)
            return
        upstream = self._connect(host, port)
        if upstream is None:
            client.sendall(_REPLY_FAILED)
            return
        with upstream:
            client.sendall(_REPLY_OK)
            _relay(client, upstream, self.server)

    def _connect(self, host: str, port: int) -> socket.socket | None:
        ledger = self.server.ledger
        try:
            target = checked_target(host, port, self.server.policy)
        except UrlRefused as exc:
            ledger.refusals.append(str(exc))
            log.warning("guarded fetch refused: %s", exc)
            return None
        for address in target.addresses:
            try:
                return socket.create_connection(
                    (address, port), timeout=self.server.connect_timeout_s
                )
            except OSError as exc:
                log.info("guarded fetch: %s (%s:%d) failed: %s", host, address, port, exc)
        ledger.refusals.append(f"{host}:{port}: no address answered")
        return None


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ValueError("client closed the connection")
        data += chunk
    return data


def _read_connect(client: socket.socket) -> tuple[str, int]:
    """Negotiate 'no authentication' and read one CONNECT request's host and port."""
    version, count = _read_exact(client, 2)
    if version != _SOCKS5:
        raise ValueError(f"SOCKS version {version}")
    methods = _read_exact(client, count)
    if 0 not in methods:
        client.sendall(b"\x05\xff")
        raise ValueError("client offers no unauthenticated method")
    client.sendall(b"\x05\x00")
    version, command, _, kind = _read_exact(client, 4)
    if version != _SOCKS5 or command != _CONNECT:
        client.sendall(b"\x05\x07\x00\x01" + b"\x00" * 6)
        raise ValueError(f"SOCKS command {command}")
    if kind == _ATYP_IPV4:
        host = str(ipaddress.IPv4Address(_read_exact(client, 4)))
    elif kind == _ATYP_IPV6:
        host = str(ipaddress.IPv6Address(_read_exact(client, 16)))
    elif kind == _ATYP_DOMAIN:
        host = _read_exact(client, _read_exact(client, 1)[0]).decode("idna")
    else:
        raise ValueError(f"SOCKS address type {kind}")
    (port,) = struct.unpack("!H", _read_exact(client, 2))
    return host, port


def _relay(client: socket.socket, upstream: socket.socket, server: _Server) -> None:
    """Copy bytes both ways until either side closes, the fetch ends or the cap is passed."""
    pairs = {client: upstream, upstream: client}
    while not server.stopping.is_set():
        readable, _, _ = select.select(list(pairs), [], [], _POLL_S)
        for source in readable:
            try:
                data = source.recv(_CHUNK)
            except OSError:
                return
            if not data:
                return
            if source is upstream and not server.ledger.add(len(data)):
                log.warning("guarded fetch cut at %d bytes", server.ledger.max_bytes)
                return
            try:
                pairs[source].sendall(data)
            except OSError:
                return


@contextlib.contextmanager
def guarded_proxy(
    policy: UrlPolicyConfig, connect_timeout_s: float
) -> Iterator[tuple[str, ProxyLedger]]:
    """Run the proxy for the duration of the block; yield its URL and the fetch's ledger."""
    ledger = ProxyLedger(max_bytes=policy.max_bytes)
    server = _Server(policy, ledger, connect_timeout_s)
    thread = threading.Thread(target=server.serve_forever, name="guard-proxy", daemon=True)
    thread.start()
    try:
        yield f"socks5h://127.0.0.1:{server.server_address[1]}", ledger
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
