"""How the client reaches the API, and what it says when it cannot connect. (Whom it
trusts is :mod:`tote_track.api.trust`.)

Proxies come from the environment through httpx (``HTTPS_PROXY``, ``ALL_PROXY``,
``NO_PROXY``) for an ``https://`` API. Plain ``http://`` (loopback only, see ``ClientConfig``)
never goes through a proxy: the proxy would read the token in clear, and its own loopback is
not ours.

Failures (:func:`connect_error`, :func:`connect_timeout_error`): every way of not getting
through (an untrusted, mismatched or expired certificate, a refused connection, a host name
that does not resolve, a proxy that refuses or wants a password, a TLS handshake that never
ends) is one sentence naming what failed and the next step. The connection phase and the
host actually dialled (the API or a proxy) come from httpcore's ``trace`` request extension
(:class:`ConnectionTrace`), not from parsing library messages.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    ProxyRefusedError,
    TlsError,
)

__all__ = [
    "CA_BUNDLE_HINT",
    "ConnectionTrace",
    "connect_error",
    "connect_timeout_error",
]

_E = TypeVar("_E", bound=BaseException)

# httpcore's trace events after which a request only waits on the network.
_WAITS = frozenset({"connection.start_tls.started", "http11.receive_response_headers.started"})

CA_BUNDLE_HINT = "pass --ca-bundle FILE (or set TOTE_CA_BUNDLE)"

# OpenSSL's X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code).
_CERT_UNTRUSTED = {
    2,  # unable to get issuer certificate
    18,  # self-signed certificate
    19,  # self-signed certificate in certificate chain
    20,  # unable to get local issuer certificate
    21,  # unable to verify the first certificate
    27,  # certificate not trusted
}
_CERT_NOT_YET_VALID = 9
_CERT_EXPIRED = 10
_CERT_NAME_MISMATCH = {62, 64}  # host name mismatch, IP address mismatch


@dataclass
class ConnectionTrace:
    """What httpcore reported while connecting: pass as the ``trace`` request extension.

    ``dialled`` is the (host, port) of the last TCP connection started (the API, or the
    proxy when one is used); ``phase`` the last connection step started (``connect_tcp``,
    ``start_tls``, ``proxy_connect``) and ``done`` whether it completed.

    ``on_wait`` is called once, when the request has nothing left to do but wait on the
    network: its TLS handshake has started (the first flight leaves at once), or it waits
    for the answer (on a connection already open).
    """

    dialled: tuple[str, int] | None = None
    phase: str | None = None
    done: bool = False
    steps: list[str] = field(default_factory=list)
    on_wait: Callable[[], None] | None = None

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if self.on_wait is not None and event in _WAITS:
            self.on_wait()
            self.on_wait = None
        prefix, _, rest = event.partition(".")
        step, _, outcome = rest.rpartition(".")
        if prefix == "connection" and step == "connect_tcp" and outcome == "started":
            host, port = info.get("host"), info.get("port")
            if isinstance(host, str) and isinstance(port, int):
                self.dialled = (host, port)
        if step in ("connect_tcp", "start_tls"):
            self.phase = "start_tls" if step == "start_tls" else step
            self.done = outcome == "complete"
            self.steps.append(f"{prefix}.{step}.{outcome}")


def _in_chain(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of ``kind`` in ``exc``'s cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _target(url: httpx.URL) -> tuple[str, int]:
    return url.host, url.port or (443 if url.scheme == "https" else 80)


def _proxy_of(url: httpx.URL, trace: ConnectionTrace) -> str | None:
    """``host:port`` of the proxy dialled, when the connection went through one."""
    if trace.dialled is None:
        return None
    host, port = trace.dialled
    target_host, target_port = _target(url)
    if (host.lower(), port) == (target_host.lower(), target_port):
        return None
    return _host_port(host, port)


def _certificate_sentence(error: ssl.SSLCertVerificationError, host: str) -> str:
    code = error.verify_code
    if code in _CERT_UNTRUSTED:
        return (
            f"The certificate of {host} is not trusted: if your company uses its own CA, "
            f"{CA_BUNDLE_HINT}"
        )
    if code in _CERT_NAME_MISMATCH:
        return (
            f"The certificate of {host} was issued for another host name: check the API base "
            f"URL (--base-url or TOTE_API_BASE_URL), or give {host} a certificate that names it"
        )
    if code == _CERT_EXPIRED:
        return (
            f"The certificate of {host} has expired: whoever runs {host} must renew it (if it "
            "should still be valid, check this computer's date and time)"
        )
    if code == _CERT_NOT_YET_VALID:
        return f"The certificate of {host} is not valid yet: check this computer's date and time"
    detail = error.verify_message or error.reason or "verification failed"
    return (
        f"The certificate of {host} was refused ({detail}): if your company uses its own CA, "
        f"{CA_BUNDLE_HINT}"
    )


def connect_error(
    exc: httpx.TransportError, url: httpx.URL, trace: ConnectionTrace
) -> ApiConnectionError | None:
    """The error, with its one sentence, for a failure to connect to ``url``.

    None when ``exc`` is none of the failures described here (the caller keeps its own
    sentence). Certificate, TLS and proxy refusals are not transient; a refused connection
    and a name that does not resolve are (a server restarting, a network coming back).
    """
    host = url.host
    proxy = _proxy_of(url, trace)
    if isinstance(exc, httpx.ProxyError):
        shown = proxy or "in HTTPS_PROXY"
        status, _, reason = str(exc).partition(" ")
        if status == "407":
            return ProxyRefusedError(
                f"The proxy {shown} asks for a user name and password (HTTP 407): put them in "
                "the proxy URL, HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT"
            )
        said = f"HTTP {status} {reason}".strip() if status.isdigit() else str(exc)
        return ProxyRefusedError(
            f"The proxy {shown} refused to connect to {host} ({said}): ask your network "
            f"administrator to allow {host}, or add {host} to NO_PROXY if it can be reached "
            "directly"
        )
    verification = _in_chain(exc, ssl.SSLCertVerificationError)
    if verification is not None:
        return TlsError(_certificate_sentence(verification, host))
    tls = _in_chain(exc, ssl.SSLError)
    if tls is not None and trace.phase == "start_tls":
        reason = (tls.reason or str(tls)).replace("_", " ").lower()
        return TlsError(
            f"Could not set up a secure connection to {host} ({reason}): check that the base "
            "URL's address and port serve HTTPS"
        )
    if _in_chain(exc, socket.gaierror) is not None:
        if proxy is not None:
            return ApiConnectionError(
                f"The proxy host name in {proxy} could not be resolved: check HTTPS_PROXY "
                "(or ALL_PROXY)"
            )
        return ApiConnectionError(
            f"The host name {host} could not be resolved: check the API base URL and this "
            "computer's network connection"
        )
    if _in_chain(exc, ConnectionRefusedError) is None:
        return None
    if proxy is not None:
        return ApiConnectionError(
            f"Could not reach the proxy {proxy}: it refused the connection; check HTTPS_PROXY, "
            f"or add {host} to NO_PROXY to connect directly"
        )
    return ApiConnectionError(
        f"Could not reach the Tote API at {_host_port(*_target(url))}: the connection was "
        "refused; check the API base URL and that the server is running"
    )


def connect_timeout_error(url: httpx.URL, trace: ConnectionTrace) -> ApiTimeoutError | None:
    """The sentence for a connect timeout when the trace says where it stalled, else None."""
    host = url.host
    proxy = _proxy_of(url, trace)
    if trace.phase == "start_tls" and not trace.done:
        return ApiTimeoutError(
            f"{host} accepted the connection but the TLS handshake did not finish in time: check "
            "that the base URL's address and port serve HTTPS (not plain http)"
        )
    if trace.phase == "connect_tcp" and not trace.done and proxy is not None:
        return ApiTimeoutError(
            f"The proxy {proxy} did not accept the connection in time: check HTTPS_PROXY, or "
            f"add {host} to NO_PROXY to connect directly"
        )
    if trace.phase == "connect_tcp" and trace.done and proxy is not None:
        # Connected to the proxy, and no TLS with the API started: the proxy never
        # answered the CONNECT (the tunnel to the API).
        return ApiTimeoutError(
            f"The proxy {proxy} did not answer in time when asked to connect to {host}: check "
            f"HTTPS_PROXY, or add {host} to NO_PROXY to connect directly"
        )
    return None
