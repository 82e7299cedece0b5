"""HTTPS for the sandbox: a throwaway local CA (``trustme``), or the user's own certificate.

:func:`local_ca` creates a CA and a server certificate it signs for the host names the
sandbox answers on, and writes three PEM files into a directory: ``ca.pem`` (what a client
trusts: ``--ca-bundle`` or ``SSL_CERT_FILE``), ``server.pem`` (the certificate chain) and
``server.key`` (its private key, readable by the owner only). A directory that already holds
the three files (``--db``'s, across restarts) is reused, so a client keeps trusting the same CA.

:func:`check_certificate` loads the user's ``--certfile/--keyfile`` once, so a wrong file is
one sentence before the server starts.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CA_FILE", "TlsFiles", "check_certificate", "local_ca", "server_names"]

CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server.key"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """What the server serves (``certfile``/``keyfile``) and, for a local CA, what a client
    should trust (``ca_file``; None for the user's own certificate)."""

    certfile: str
    keyfile: str | None
    ca_file: str | None = None


def server_names(host: str) -> list[str]:
    """The names a certificate for a sandbox listening on ``host`` should carry."""
    names = list(LOOPBACK_NAMES)
    bare = host.strip("[]")
    try:
        unspecified = ipaddress.ip_address(bare).is_unspecified
    except ValueError:
        unspecified = False
    if bare and not unspecified and bare not in names:
        names.insert(0, bare)
    return names


def local_ca(directory: str | os.PathLike[str], names: list[str]) -> TlsFiles:
    """A CA and a certificate for ``names`` in ``directory`` (created, or reused if complete)."""
    folder = Path(directory)
    paths = [folder / CERT_FILE, folder / KEY_FILE, folder / CA_FILE]
    files = TlsFiles(certfile=str(paths[0]), keyfile=str(paths[1]), ca_file=str(paths[2]))
    if all(path.is_file() for path in paths):
        return files
    import trustme

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="tote-track sandbox")
    leaf = ca.issue_cert(*names, organization_name="tote-track sandbox")
    ca.cert_pem.write_to_path(str(folder / CA_FILE))
    Path(files.certfile).write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key = folder / KEY_FILE
    key.touch(mode=0o600)
    leaf.private_key_pem.write_to_path(str(key))
    return files


def check_certificate(certfile: str, keyfile: str | None) -> str | None:
    """None when ``certfile``/``keyfile`` load as a server certificate; else why not."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile)
    except ssl.SSLError as exc:
        if keyfile:
            what = f"{certfile} and {keyfile} are not"
            hint = ""
        else:
            what = f"{certfile} is not"
            hint = " (if the key is in another file, pass it with --keyfile)"
        return f"{what} a PEM certificate and its private key{hint}: {exc.reason or exc}"
    except FileNotFoundError as exc:
        return f"{exc.filename or certfile} does not exist"
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else str(exc)
        return f"{exc.filename or certfile} cannot be read ({reason})"
    return None
