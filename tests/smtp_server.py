"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it receives.

It can be told to refuse the next few RCPT or DATA commands with a given reply, to play
a greylisting server ("451 4.3.0 Try again later") or a missing mailbox ("550 5.1.1 No
such user").
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


DROP = "DROP"


def _hang_up(server: Any) -> str:
    server.transport.close()
    return "421 4.3.2 Closing"  # never reaches the client: the connection is gone


class RecordingHandler:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._replies: dict[str, list[str]] = {"RCPT": [], "DATA": []}
        self.connections = 0
        self.host = "127.0.0.1"
        self.port = 0

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._replies = {"RCPT": [], "DATA": []}
            self.connections = 0

    def refuse_next(self, command: str, reply: str, times: int = 1) -> None:
        """Answer the next `times` RCPT or DATA commands with `reply` instead of 250;
        the reply DROP hangs up instead, as a crashing server would."""
        with self._lock:
            self._replies[command.upper()].extend([reply] * times)

    def _next_reply(self, command: str) -> str | None:
        with self._lock:
            queue = self._replies[command]
            return queue.pop(0) if queue else None

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self._next_reply("RCPT")
        if reply:
            return _hang_up(server) if reply == DROP else reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self._next_reply("DATA")
        if reply:
            return _hang_up(server) if reply == DROP else reply
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            received = Received(
                message, envelope.mail_from, list(envelope.rcpt_tos), envelope.content
            )
            self.received.append(received)
        return "250 2.0.0 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [item.message for item in self.received]

    def message_id_counts(self) -> Counter[str]:
        return Counter(str(message["Message-ID"]).strip() for message in self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def _smtp_handler() -> Iterator[RecordingHandler]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def smtp_server(_smtp_handler: RecordingHandler) -> Iterator[RecordingHandler]:
    """The running server (host 127.0.0.1, `.port`), emptied before and after each test."""
    _smtp_handler.reset()
    yield _smtp_handler
    _smtp_handler.reset()
