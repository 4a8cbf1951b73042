"""Real servers for the verification tests, on 127.0.0.1 only: a DNS server (dnslib)
answering a zone the test writes, and a web server whose answers the test chooses. The app
reaches them through the test-only settings (VERIFICATION_RESOLVER,
VERIFICATION_FETCH_ALLOW=127.0.0.1)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from dnslib import AAAA, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSServer

from app.core.config import get_settings
from app.signatures.verification import lookups


class Zone(BaseResolver):  # type: ignore[misc]
    """Names to records: zone.a("ngo.test", "127.0.0.1"), zone.txt("_dmarc.ngo.test", ...)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[Any]] = {}
        self.asked: list[tuple[str, str]] = []

    def a(self, name: str, address: str) -> None:
        self.records.setdefault((name, "A"), []).append(A(address))

    def aaaa(self, name: str, address: str) -> None:
        self.records.setdefault((name, "AAAA"), []).append(AAAA(address))

    def txt(self, name: str, text: str) -> None:
        self.records.setdefault((name, "TXT"), []).append(TXT(text))

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.asked.append((name, qtype))
        found = self.records.get((name, qtype))
        if found is None and not any(known == name for known, _t in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
        for rdata in found or []:
            reply.add_answer(RR(request.q.qname, request.q.qtype, rdata=rdata, ttl=60))
        return reply


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Web:
    """Paths to handlers; `requests` lists the (Host, path) of every request received."""

    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def text(self, path: str, body: str) -> None:
        def handler(h: http.server.BaseHTTPRequestHandler) -> None:
            data = body.encode()
            h.send_response(200)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)

        self.routes[path] = handler

    def redirect(self, path: str, location: str) -> None:
        def handler(h: http.server.BaseHTTPRequestHandler) -> None:
            h.send_response(302)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = handler


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Zone]:
    resolver = Zone()
    server = DNSServer(resolver, port=0, address="127.0.0.1")
    server.start_thread()
    port = server.server.server_address[1]
    monkeypatch.setattr(get_settings(), "verification_resolver", f"127.0.0.1:{port}")
    monkeypatch.setattr(get_settings(), "verification_dns_timeout", 5.0)
    lookups.clear_cache()
    yield resolver
    server.stop()
    server.server.server_close()
    lookups.clear_cache()


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    site = Web()

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append((self.headers.get("Host", ""), self.path))
            handler = site.routes.get(self.path)
            if handler is None:
                self.send_error(404)
                return
            handler(self)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(get_settings(), "verification_fetch_allow", "127.0.0.1")
    yield site
    site.release.set()
    server.shutdown()
    server.server_close()
