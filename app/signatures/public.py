"""What the public may know about a statement's signatures: counts of approved ones, and
the names of those who chose to be listed by name. Anonymous signers appear only as their
anonymous label; counted-only signers only in the counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.core.i18n import gettext as _
from app.signatures import countries
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind
from app.statements.models import ListOrder, Statement


@dataclass(frozen=True)
class Counts:
    organisations: int = 0
    individuals: int = 0

    @property
    def total(self) -> int:
        return self.organisations + self.individuals


def counts(session: Session, *, statement: Statement) -> Counts:
    rows = session.exec(
        select(Signature.kind, func.count())
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status) == SignatureStatus.APPROVED,
        )
        .group_by(col(Signature.kind))
    ).all()
    by_kind = {SignerKind(kind): n for kind, n in rows}
    return Counts(
        organisations=by_kind.get(SignerKind.ORGANISATION, 0),
        individuals=by_kind.get(SignerKind.INDIVIDUAL, 0),
    )


def public_name(signature: Signature) -> str:
    """The line a signature is shown as in public, or "" if it is not shown at all."""
    return public_line(
        listing=signature.listing,
        kind=signature.kind,
        country=signature.country,
        name=signature.display_name or signature.name,
        organisation=signature.display_name or signature.organisation,
        acronym=(
            signature.display_acronym
            if signature.display_acronym is not None
            else signature.acronym
        ),
        note=signature.note,
    )


def public_line(
    *, listing: str, kind: str, country: str, name: str, organisation: str, acronym: str, note: str
) -> str:
    """`public_name` from plain values (display corrections already applied), for exports
    that read columns rather than whole signatures."""
    if listing == Listing.COUNTED:
        return ""
    if listing == Listing.ANONYMOUS:
        if kind == SignerKind.ORGANISATION:
            if country:
                return _("An organisation based in %(country)s") % {
                    "country": countries.name(country)
                }
            return _("An organisation")
        return _("An individual")
    if kind == SignerKind.ORGANISATION:
        return f"{organisation} ({acronym})" if acronym else organisation
    return f"{name} ({note})" if note else name


def listed(session: Session, *, statement: Statement, limit: int = 500) -> list[Signature]:
    """Approved signatures that appear by name or anonymous label, in the statement's
    order (the full list model, with collation and manual order, lives in app.lists)."""
    rows = session.exec(
        select(Signature).where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status) == SignatureStatus.APPROVED,
            col(Signature.listing) != Listing.COUNTED,
        )
    ).all()
    first = (
        SignerKind.INDIVIDUAL
        if statement.list_order == "individuals_first"
        else SignerKind.ORGANISATION
    )

    def key(signature: Signature) -> tuple[int, int, str]:
        alphabetical = statement.list_order == ListOrder.ALPHABETICAL
        group = 0 if alphabetical or signature.kind == first else 1
        anonymous = 1 if signature.listing == Listing.ANONYMOUS else 0
        return (group, anonymous, public_name(signature).casefold())

    return sorted(rows, key=key)[:limit]
