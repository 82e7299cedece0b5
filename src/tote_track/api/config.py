"""Where the API is and how to authenticate: the client's configuration.

``ClientConfig.resolve(base_url, token)`` takes the values the command line already merged
with ``TOTE_API_BASE_URL`` / ``TOTE_API_TOKEN`` (None means "not given") and returns a
checked configuration:

* the base URL must be ``http://`` or ``https://`` with a host, and carry no user name,
  password, query or fragment; otherwise :class:`InvalidConfigError` (a ``ValueError`` too);
* a token is never sent over plain ``http://`` to a host that is not loopback
  (``localhost``, ``127.0.0.0/8``, ``::1``): :class:`InsecureTransportError`, whose message
  says what to do. Without a token plain ``http://`` is allowed (nothing secret travels);
* ``ca_bundle`` (``--ca-bundle`` / ``TOTE_CA_BUNDLE``), a PEM file of CA certificates the
  client trusts *in addition to* the system's, must be a readable file holding at least one
  PEM certificate; otherwise :class:`InvalidConfigError`.

Loopback means a literal loopback address, or the name ``localhost`` exactly (any case:
host names are case-blind). Any other spelling is a name for a resolver, which may ask DNS:
``localhost.`` (the fully qualified form, which skips the hosts file's short names on some
resolvers), ``localhost.localdomain``, ``127.1`` (not an address ``ipaddress`` reads, but
one ``getaddrinfo`` expands) are all refused a token over plain ``http://``.

The token never shows in ``repr()`` or in any error message.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from tote_track.api.errors import InsecureTransportError, InvalidConfigError

__all__ = ["CONNECT_TIMEOUT", "DEFAULT_BASE_URL", "ClientConfig", "is_loopback_host"]

DEFAULT_BASE_URL = "https://sandbox.api.tote.ai/v1/online-ordering"

CONNECT_TIMEOUT = 5.0
"""Seconds a connection may take to open (TCP's handshake; TLS's again)."""


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` (exactly, any case) and literal loopback IP addresses
    (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104); never for a name with a trailing dot."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _check_base_url(base_url: str) -> tuple[str, str]:
    """Return the URL's scheme and host after checking it; raise InvalidConfigError if bad."""
    hint = f"expected something like {DEFAULT_BASE_URL}"
    if any(ch.isspace() or not ch.isprintable() for ch in base_url):
        raise InvalidConfigError(
            f"The API base URL {base_url!r} contains spaces or control characters"
        )
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError as exc:
        raise InvalidConfigError(
            f"The API base URL {base_url!r} is not valid ({exc}); {hint}"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidConfigError(
            f"The API base URL {base_url!r} must start with https:// (or http:// for a "
            f"local server); {hint}"
        )
    host = parts.hostname
    if not host:
        raise InvalidConfigError(f"The API base URL {base_url!r} has no host; {hint}")
    if port == 0:
        raise InvalidConfigError(f"The API base URL {base_url!r} has port 0; {hint}")
    if parts.username is not None or parts.password is not None:
        # Never echo the URL here: the part before "@" may be a password.
        raise InvalidConfigError(
            "The API base URL must not contain a user name or password; "
            "give the token with TOTE_API_TOKEN, --token-file or --token instead"
        )
    if "?" in base_url or "#" in base_url:
        raise InvalidConfigError(
            f"The API base URL {base_url!r} must not have a query (?...) or fragment (#...)"
        )
    return parts.scheme, host


_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_CA_BUNDLE_MAX_BYTES = 16 * 1024 * 1024


def _check_ca_bundle(path: str) -> None:
    """A readable file with a PEM certificate; OpenSSL parses it later, in the client."""
    where = f"The CA bundle {path!r} (--ca-bundle or TOTE_CA_BUNDLE)"
    if os.path.isdir(path):
        raise InvalidConfigError(f"{where} is a directory; give the PEM file of your CA")
    try:
        with open(path, "rb") as file:
            head = file.read(_CA_BUNDLE_MAX_BYTES)
    except FileNotFoundError:
        raise InvalidConfigError(f"{where} does not exist") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise InvalidConfigError(f"{where} cannot be read ({reason})") from None
    if _PEM_CERTIFICATE not in head:
        raise InvalidConfigError(
            f"{where} holds no PEM certificate; give a file with "
            '"-----BEGIN CERTIFICATE-----" blocks (convert a .der or .cer file with '
            "openssl x509 -inform der -in FILE -out FILE.pem)"
        )


def _check_token(token: str) -> None:
    if not token.isascii() or any(ch.isspace() or not ch.isprintable() for ch in token):
        # Never include the token itself.
        raise InvalidConfigError(
            "The API token contains spaces, control or non-ASCII characters; "
            "check --token, --token-file or TOTE_API_TOKEN"
        )


@dataclass(frozen=True)
class ClientConfig:
    """The API base URL and the bearer token (None: send no Authorization header).

    Constructing one checks it (see the module docstring); :meth:`resolve` also fills in
    defaults and tidies whitespace and a trailing slash.
    """

    base_url: str
    token: str | None = None
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        scheme, host = _check_base_url(self.base_url)
        if self.ca_bundle is not None:
            _check_ca_bundle(self.ca_bundle)
        if self.token is None:
            return
        _check_token(self.token)
        if scheme == "http" and not is_loopback_host(host):
            raise InsecureTransportError(
                f"Refusing to send the API token over plain http:// to {host}: anyone on "
                f"the network could read it. Use an https:// base URL (the default is "
                f"{DEFAULT_BASE_URL}); plain http:// is only allowed to localhost or 127.0.0.1"
            )

    @classmethod
    def resolve(
        cls, base_url: str | None, token: str | None, *, ca_bundle: str | None = None
    ) -> ClientConfig:
        """Build a checked configuration; None or blank values fall back to the defaults."""
        url = (base_url or "").strip() or DEFAULT_BASE_URL
        scheme, sep, rest = url.partition("://")
        if sep:
            url = f"{scheme.lower()}{sep}{rest}"
        url = url.rstrip("/")
        clean_token = (token or "").strip() or None
        bundle = os.path.expanduser(ca_bundle.strip()) if ca_bundle and ca_bundle.strip() else None
        return cls(base_url=url, token=clean_token, ca_bundle=bundle)

    @property
    def has_token(self) -> bool:
        return self.token is not None

    @property
    def uses_tls(self) -> bool:
        """An ``https://`` API (else plain ``http://``, loopback only)."""
        return urlsplit(self.base_url).scheme == "https"

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'<redacted>'"
        bundle = "" if self.ca_bundle is None else f", ca_bundle={self.ca_bundle!r}"
        return f"ClientConfig(base_url={self.base_url!r}, token={token}{bundle})"
