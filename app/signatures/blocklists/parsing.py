"""What a lead types into the blocklist, read: the kind of entry it is and its value
normalised as a signer's address is, so that the two compare; and the note saying why."""

from __future__ import annotations

import ipaddress

from app.core.errors import BadRequest, FieldErrors, about
from app.core.i18n import gettext as _
from app.core.text import clean_line, normalise_email
from app.signatures.blocklists.models import MAX_NOTE, EntryKind

MAX_TYPED = 1000  # what a lead may type before it is even looked at
# Wider ranges would hold signatures from a large part of the internet: almost surely a
# typing mistake (0.0.0.0/0), and one that would hold every signature silently.
MIN_PREFIX = {4: 8, 6: 16}


def parse_entry(text: str) -> tuple[EntryKind, str]:
    """What the lead typed, as the kind of entry it is and its normalised value:
    `example.org` or `@example.org` a domain, `name@example.org` an address,
    `203.0.113.0/24`, `2001:db8::/32` or a single IP address a range."""
    value = text.strip()[:MAX_TYPED]
    if not value:
        raise FieldErrors({"value": _("Enter a domain, an email address or an IP range.")})
    network = parse_network(value)
    if network is not None:
        if network.prefixlen < MIN_PREFIX[network.version]:
            raise FieldErrors(
                {
                    "value": _(
                        "This range is too wide: it would hold signatures from a large part "
                        "of the internet. Use a prefix of at least /%(n)d."
                    )
                    % {"n": MIN_PREFIX[network.version]}
                }
            )
        return EntryKind.IP_RANGE, str(network)
    if "/" in value or (":" in value and "@" not in value):
        raise FieldErrors(
            {"value": _("This is not an IP range. Write one as 203.0.113.0/24 or 2001:db8::/32.")}
        )
    local, at, domain = value.rpartition("@")
    try:
        if at and local:
            return EntryKind.ADDRESS, normalise_email(value)
        return EntryKind.DOMAIN, _domain(domain)
    except BadRequest as exc:
        message = (
            _("Please enter a valid email address.")
            if at and local
            else _("This is not a domain. Write one as example.org.")
        )
        raise FieldErrors({"value": message}) from exc


def parse_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An IP range or a single address as a network; None for anything else."""
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _domain(value: str) -> str:
    """A domain normalised exactly as the domain of a signer's address is (Unicode,
    lower-case), so the two compare. A bare top-level domain (`xyz`) is allowed."""
    name = value.strip().removeprefix("*.").strip(".")
    if not name or "@" in name:
        raise BadRequest(_("This is not a domain. Write one as example.org."))
    # The validator wants at least two labels: give it one, then take it away.
    return normalise_email(f"postmaster@x.{name}").rpartition("@x.")[2]


def clean_note(note: str) -> str:
    """Why the lead added an entry: one line, kept with it and shown to the team."""
    try:
        return clean_line(note, max_length=MAX_NOTE)
    except BadRequest as exc:
        raise FieldErrors({"note": about(_("Why"), exc.message)}) from exc
