"""The development mailbox (mail kept locally when no SMTP server is configured) and the
administrators' view of deliveries that failed."""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import CurrentAdmin, OptionalUser
from app.core import templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.mail import service
from app.mail.models import OutboxStatus
from app.security.ratelimit import client_ip

router = APIRouter()


def _require_dev_mailbox(request: Request) -> None:
    """The mailbox shows every confirmation and invitation link: it exists only outside
    production, without a mail server, and only for the machine it runs on."""
    if not get_settings().dev_mailbox or not _is_loopback(client_ip(request)):
        raise NotFound()


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@router.get("/dev/mailbox")
def dev_mailbox(request: Request, session: SessionDep, _user: OptionalUser) -> Response:
    _require_dev_mailbox(request)
    messages = service.list_messages(session, limit=200)
    return templating.page(request, "mail/mailbox.html", {"messages": messages})


@router.get("/dev/mailbox/{message_id}")
def dev_message(
    request: Request, message_id: int, session: SessionDep, _user: OptionalUser
) -> Response:
    _require_dev_mailbox(request)
    message = service.get_message(session, message_id=message_id)
    if message is None:
        raise NotFound()
    return templating.page(request, "mail/message.html", {"message": message})


@router.get("/dev/mailbox/{message_id}/html")
def dev_message_html(request: Request, message_id: int, session: SessionDep) -> Response:
    """The HTML part as the recipient's mail client would see it, sandboxed."""
    _require_dev_mailbox(request)
    message = service.get_message(session, message_id=message_id)
    if message is None:
        raise NotFound()
    return HTMLResponse(
        message.html_body,
        headers={"Content-Security-Policy": "sandbox; default-src 'none'"},
    )


@router.get("/outbox")
def outbox(request: Request, session: SessionDep, admin: CurrentAdmin) -> Response:
    context = {
        "failed": service.list_messages(session, status=OutboxStatus.FAILED),
        "waiting": service.list_messages(session, status=OutboxStatus.READY),
    }
    return templating.page(request, "mail/outbox.html", context)


@router.post("/outbox/{message_id}/retry")
def retry(message_id: int, session: SessionDep, admin: CurrentAdmin) -> Response:
    if not service.retry_message(session, message_id=message_id):
        raise NotFound()
    return templating.redirect("/outbox", notice="mail-retried")
