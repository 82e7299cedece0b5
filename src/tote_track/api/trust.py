"""Whom the client trusts: what the user's system trusts, plus a company CA.

* The base trust is httpx's own: ``SSL_CERT_FILE`` and/or ``SSL_CERT_DIR`` when set (the
  standard OpenSSL variables), else certifi's bundle.
* ``--ca-bundle FILE`` / ``TOTE_CA_BUNDLE`` (``ClientConfig.ca_bundle``) is *added* to that
  trust; it never replaces it. Certificates and host names are always checked: there is no
  way to switch that off.

Loading the trusted CAs takes tens of milliseconds, and OpenSSL does it without holding the
GIL: ``api.warm`` does it on a thread, before the API's connection opens there, so a program
that starts a UI first (the tracker) has it ready by the time its client is made. This
module needs neither httpx nor the models, so that thread can start before they load.
"""

from __future__ import annotations

import importlib.util
import os
import ssl
from collections.abc import Mapping

from tote_track.api.errors import InvalidConfigError

__all__ = ["build_ssl_context", "certifi_bundle", "no_trust_context"]


def no_trust_context() -> ssl.SSLContext:
    """A context that checks certificates but trusts nobody, for a plain-http client.

    Such a client never negotiates TLS (no proxy, no redirects); this context costs well under
    a millisecond, where loading a CA bundle costs ~70 ms of start-up, and it can never be
    mistaken for switching checks off.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def build_ssl_context(
    ca_bundle: str | None, environ: Mapping[str, str] | None = None
) -> ssl.SSLContext:
    """The verifying context: the system's trust (see the module docstring) plus ``ca_bundle``.

    Raises :class:`InvalidConfigError` (one sentence) when ``SSL_CERT_FILE``,
    ``SSL_CERT_DIR`` or the CA bundle cannot be loaded.
    """
    env = os.environ if environ is None else environ
    cert_file = env.get("SSL_CERT_FILE") or None
    cert_dir = env.get("SSL_CERT_DIR") or None
    if cert_file is None and cert_dir is None:
        cert_file = certifi_bundle()
        where = "certifi's CA bundle"
    else:
        where = " and ".join(
            f"{name}={value}"
            for name, value in (("SSL_CERT_FILE", cert_file), ("SSL_CERT_DIR", cert_dir))
            if value
        )
    try:
        context = ssl.create_default_context(cafile=cert_file, capath=cert_dir)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidConfigError(
            f"Cannot load the trusted certificates from {where} ({_os_reason(exc)}); "
            "fix or unset that variable"
        ) from None
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidConfigError(
                f"Cannot load the CA bundle {ca_bundle} ({_os_reason(exc)}); "
                "--ca-bundle / TOTE_CA_BUNDLE must name a PEM file of CA certificates"
            ) from None
    return context


def certifi_bundle() -> str:
    """certifi's CA bundle (``certifi.where()``), found without importing certifi where it
    is installed as files: its import loads ``importlib.resources``, about 10 ms of CPU
    that competes with a program's start-up for the GIL."""
    spec = importlib.util.find_spec("certifi")
    if spec is not None and spec.origin is not None:
        bundle = os.path.join(os.path.dirname(spec.origin), "cacert.pem")
        if os.path.isfile(bundle):
            return bundle
    import certifi  # a zipped install: certifi extracts its bundle

    return certifi.where()


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
