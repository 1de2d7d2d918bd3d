"""Outgoing HTTP for webhooks and chat: URL rules, the SSRF guard, one POST without redirects."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

ERROR_TAIL = 300
USER_AGENT = "auditor-webhooks/1"


class UrlRefused(ValueError):
    """The URL may not be called (scheme, host or address); the message says why."""


def _allowed_private(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS}


def check_url(url: str, *, resolve: bool = True) -> None:
    """Raise UrlRefused unless `url` is https (or http to an allowed host) and every address its
    host resolves to is public (or the host is allowed by WEBHOOK_ALLOWED_PRIVATE_HOSTS)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("the URL may not carry a user name or password")
    allowed = _allowed_private(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
        raise UrlRefused(f"the URL must use https, not {parts.scheme or 'no scheme'}")
    if not resolve:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise UrlRefused(f"the host {host} does not resolve ({exc})") from exc
    for info in infos:
        reason = refused_address(host, str(info[4][0]))
        if reason:
            raise UrlRefused(reason)


def refused_address(host: str, address: str) -> str:
    """Why `host`, found at `address`, may not be called ("" when it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope is not part of it
    if ip.is_global or _allowed_private(host) or _allowed_private(str(ip)):
        return ""
    return f"the host {host} resolves to {ip}, a private, loopback or link-local address"


class _PeerChecked:
    """Checks the address the socket actually connected to. `check_url` resolves the name before
    the request resolves it again; a receiver whose DNS answer changes in between (DNS
    rebinding) is stopped here, before a byte is sent. Through a proxy the proxy is the peer
    and resolves the name itself: it is the operator's egress control."""

    host: str

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        if getattr(self, "proxy", None) is None:
            reason = refused_address(self.host, sock.getpeername()[0])
            if reason:
                sock.close()
                raise NewConnectionError(self, f"refused: {reason}")  # type: ignore[arg-type]
        return sock


class _CheckedHTTPConnection(_PeerChecked, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerChecked, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def session() -> requests.Session:
    """A requests session whose connections are refused unless their peer address may be called."""
    checked = requests.Session()
    checked.mount("http://", _CheckedAdapter())
    checked.mount("https://", _CheckedAdapter())
    return checked


@dataclass(frozen=True)
class PostResult:
    status: int | None
    duration_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def clean_tail(text: str, limit: int = ERROR_TAIL) -> str:
    """The end of a response or error text, printable characters only (it is shown in the admin)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[-limit:]


def post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST once: the URL checked first, a timeout, redirects answered as failures."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_url(url)
    except UrlRefused as exc:
        return PostResult(None, elapsed(), f"refused: {exc}")
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        with session() as checked:
            response = checked.post(
                url,
                data=body,
                headers={"user-agent": USER_AGENT, **headers},
                timeout=(min(timeout, 5.0), timeout),
                allow_redirects=False,
                stream=True,
            )
            try:
                text = response.raw.read(4096, decode_content=True).decode("utf-8", "replace")
            finally:
                response.close()
    except requests.RequestException as exc:
        return PostResult(None, elapsed(), clean_tail(f"{type(exc).__name__}: {exc}"))
    status = response.status_code
    if 200 <= status < 300:
        return PostResult(status, elapsed(), "")
    if 300 <= status < 400:
        return PostResult(status, elapsed(), "redirect not followed")
    return PostResult(status, elapsed(), clean_tail(text))
