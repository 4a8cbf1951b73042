"""`undersigned demo`: the HRC58 statement as a finalised statement with its real
signatories, so a newcomer sees every page and format within a minute."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.db import utcnow
from app.demo import hrc58
from app.lists.final import service as finalise
from app.signatures.forms import SignInput, clean_sign_input
from app.signatures.models import Signature, SignatureStatus, SignerKind, Source
from app.statements import service as statements
from app.statements.inputs import StatementInput
from app.statements.models import Statement, StatementStatus

SLUG = "hrc58-example"
DEMO_EMAIL = "demo@example.org"


@dataclass(frozen=True)
class Demo:
    statement: Statement
    lead_email: str
    lead_password: str | None  # only when the demo lead was created just now
    created: bool


def load(session: Session, *, lead: User | None = None) -> Demo:
    """Load the demo statement, run by `lead` (or a demo lead created for it)."""
    existing = statements.get_by_slug(session, slug=SLUG)
    password = None
    if lead is None:
        lead, password = _lead(session)
    if existing is not None:
        return Demo(
            statement=existing, lead_email=lead.email, lead_password=password, created=False
        )
    title, body = hrc58.title_and_body()
    soon = utcnow() + timedelta(days=30)
    statement = statements.create_statement(
        session,
        actor=lead,
        data=StatementInput(
            title=title,
            slug=SLUG,
            summary="Civil society asks like-minded States to carry the key contents of UN General "
            "Assembly resolution 79/181 into the HRC58 resolution on North Korean human rights.",
            addressed_to="South Korea and other like-minded governments",
            body=body,
            coordinators="Transitional Justice Working Group (TJWG)",
            language="en",
            list_order="individuals_first",
            deadline_date=soon.date().isoformat(),
            deadline_time="12:00",
            deadline_zone="UTC",
        ),
    )
    statements.open_statement(session, statement=statement, actor=lead)
    _sign_in_the_block(session, statement)
    statement.deadline_at = hrc58.DEADLINE  # as published: 21 March 2025, 13:00 Geneva time
    statement.deadline_zone = hrc58.DEADLINE_ZONE
    statements.close_statement(session, statement=statement, actor=lead)
    finalise.finalise(session, statement=statement, actor=lead, as_of=hrc58.AS_OF)
    assert statement.status == StatementStatus.FINAL
    return Demo(statement=statement, lead_email=lead.email, lead_password=password, created=True)


def _lead(session: Session) -> tuple[User, str | None]:
    user = session.exec(select(User).where(col(User.email) == DEMO_EMAIL)).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    user = accounts.create_admin(
        session, name="Demo coordinator", email=DEMO_EMAIL, password=password
    )
    return user, password


def _sign_in_the_block(session: Session, statement: Statement) -> None:
    version = statements.current_version(session, statement=statement)
    now = utcnow()
    individuals = 0
    for signer in hrc58.signers():
        clean = clean_sign_input(SignInput(**signer), statement)
        is_person = clean.kind == SignerKind.INDIVIDUAL
        session.add(
            Signature(
                **(asdict(clean) | {"consent_privacy": True}),
                statement_id=statement.id or 0,
                status=SignatureStatus.APPROVED,
                source=Source.IMPORT,
                source_note="HRC58 published list",
                nonce=secrets.token_urlsafe(12),
                version_id=version.id,
                submitted_at=now,
                confirmed_at=now,
                decided_at=now,
                # The coordinators listed the two families in their own order.
                position=individuals if is_person else None,
            )
        )
        individuals += is_person
    session.flush()
