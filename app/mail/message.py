"""An outbox row as the email message the worker sends: its headers, its parts, and the
SMTP policy that writes it."""

from __future__ import annotations

import re
import secrets
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from app.core.config import Settings
from app.core.db import utcnow
from app.mail.models import OutboxMessage


class _RememberingPolicy(EmailPolicy):
    """Python's SMTP policy, remembering headers it has parsed and folded. Parsing a header
    through the header registry, and folding it again when the message is written, were
    most of the worker's CPU; but most headers are the same in every message (From, each
    part's Content-Type, Content-Transfer-Encoding and MIME-Version, a statement's
    subject). The same (name, text) gives the same header object, whose folded bytes are
    kept per policy: the message bytes are exactly those the plain policy writes."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is str and len(value.splitlines()) <= 1:  # else: the policy refuses it
            return (name, _parsed_header(self.header_factory, name, value))
        return super().header_store_parse(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        attributes = getattr(value, "__dict__", None)
        if attributes is None or not hasattr(value, "name"):
            return super().fold_binary(name, value)
        folds: dict[tuple[object, ...], bytes] = attributes.setdefault("_undersigned_folds", {})
        key = (name, self.linesep, self.max_line_length, self.utf8, self.cte_type)
        folded = folds.get(key)
        if folded is None:
            folded = folds[key] = super().fold_binary(name, value)
        return folded


@lru_cache(maxsize=512)
def _parsed_header(factory: Any, name: str, value: str) -> Any:
    # Header objects are immutable (a change replaces the header), so messages share them.
    return factory(name, value)


# 7bit: non-ASCII bodies go out as quoted-printable or base64, so no server needs 8BITMIME.
POLICY = _RememberingPolicy(linesep="\r\n", cte_type="7bit")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def build_message(row: OutboxMessage, *, settings: Settings) -> EmailMessage:
    if _CONTROL.search(row.to_address):
        raise ValueError("recipient address contains control characters")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_from
    msg["To"] = Address(display_name=one_line(row.to_name), addr_spec=row.to_address)
    msg["Subject"] = one_line(row.subject)
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(utcnow())
    msg.set_content(row.text_body)
    if row.html_body:
        # The boundary is chosen here rather than by the generator, which compiles a
        # regular expression per message to check its own: one no body contains cannot
        # appear in the encoded parts either (quoted-printable writes "=" as "=3D",
        # base64 has no "-").
        msg.make_alternative(boundary=_boundary(row.text_body, row.html_body))
        msg.add_alternative(row.html_body, subtype="html")
    return msg


def _boundary(*bodies: str) -> str:
    """A MIME boundary in the email package's form, unguessable and in no body."""
    while True:
        boundary = f"==============={secrets.randbelow(sys.maxsize):019d}=="
        if not any(boundary in body for body in bodies):
            return boundary


def one_line(value: str) -> str:
    """The text with control characters and line breaks as single spaces: safe in a header
    and in a log line."""
    return " ".join(_CONTROL.sub(" ", value).split())
