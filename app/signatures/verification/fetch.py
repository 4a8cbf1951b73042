"""A small web fetch for /.well-known/ files, guarded against server-side request forgery.

The host is resolved first (through `lookups`, the same resolver as the other checks) and
every address must be public (`ipaddress` `is_global`: no loopback, private, link-local,
multicast, reserved or shared ranges); the connection goes to the vetted address itself,
so the name is never resolved again between the check and the connection. Each redirect
is checked the same way. The body is read up to a size limit, the whole fetch within a
time limit. VERIFICATION_FETCH_ALLOW (tests only; production refuses it) names addresses
that may be reached although not public.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from app.core.config import get_settings
from app.core.i18n import N_
from app.signatures.verification import lookups

MAX_REDIRECTS = 3


class Refused(Exception):
    """Why the fetch was refused or failed: a catalog message for the lead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Fetcher:
    """One fetch at a time; `connections` records every address a socket was opened to."""

    connections: list[tuple[str, int]] = field(default_factory=list)

    def get(self, url: str) -> str:
        settings = get_settings()
        deadline = time.monotonic() + settings.verification_fetch_timeout
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise Refused(N_("The website's address is not a web address."))
            host = parts.hostname
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = vetted_address(host)
            status, location, body = self._request(
                parts.scheme, host, port, address, parts.path or "/", deadline
            )
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            if status != 200:
                raise Refused(N_("The website has no verification file yet."))
            return body
        raise Refused(N_("The website redirected too many times."))

    def _request(
        self, scheme: str, host: str, port: int, address: str, path: str, deadline: float
    ) -> tuple[int, str, str]:
        settings = get_settings()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Refused(N_("The website took too long to answer."))
        self.connections.append((address, port))
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = _PinnedHTTPS(host, port, address=address, timeout=remaining)
        else:
            conn = _PinnedHTTP(host, port, address=address, timeout=remaining)
        try:
            conn.request("GET", path, headers={"User-Agent": "Undersigned verification"})
            response = conn.getresponse()
            limit = settings.verification_fetch_max_bytes
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                if time.monotonic() > deadline:
                    raise Refused(N_("The website took too long to answer."))
                chunk = response.read1(4096) if response.status == 200 else b""
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                raise Refused(N_("The file on the website is too large."))
            body = b"".join(chunks).decode("utf-8", errors="replace")
            return response.status, response.getheader("Location") or "", body
        except TimeoutError as exc:
            raise Refused(N_("The website took too long to answer.")) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise Refused(N_("The website could not be reached.")) from exc
        finally:
            conn.close()


def vetted_address(host: str) -> str:
    """A public address of `host` (every address it resolves to must be public), or
    Refused before any connection is opened."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        try:
            found = lookups.addresses(host)
        except lookups.LookupFailed as exc:
            raise Refused(N_("The website's name could not be looked up.")) from exc
        if not found:
            raise Refused(N_("The website's name does not exist.")) from None
        ips = [ipaddress.ip_address(a) for a in found]
    else:
        ips = [literal]
    allowed = {a.strip() for a in get_settings().verification_fetch_allow.split(",") if a.strip()}
    for ip in ips:
        if str(ip) in allowed:
            continue
        if not ip.is_global or ip.is_multicast or ip.is_reserved:
            raise Refused(N_("The website points to a private or local address."))
    return str(ips[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the vetted address; the Host header keeps the name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the vetted address, the certificate checked against the name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
