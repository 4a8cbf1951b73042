"""Objects for tests, made through the same services the app uses."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.signatures.forms import SignInput, clean_sign_input
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.statements import service as statements
from app.statements.inputs import StatementInput
from app.statements.models import Statement

PASSWORD = "correct horse battery staple"


def make_user(
    db: Session, *, email: str = "lead@example.org", name: str = "Lead", admin: bool = False
) -> User:
    user = accounts.create_admin(db, name=name, email=email, password=PASSWORD)
    user.is_admin = admin
    db.flush()
    return user


def statement_input(**overrides: str) -> StatementInput:
    """A valid statement, closing well in the future unless told otherwise."""
    values = {
        "title": "Joint statement on detainees",
        "slug": "",
        "summary": "We call for the release of detainees.",
        "addressed_to": "Member States of the Human Rights Council",
        "body": "We call upon **all States** to act.\n\nThank you.",
        "coordinators": "Transitional Justice Working Group\nNo Chain",
        "contact_email": "coord@example.org",
        "language": "en",
        "deadline_date": (date.today() + timedelta(days=30)).isoformat(),
        "deadline_time": "13:00",
        "deadline_zone": "Europe/Zurich",
    }
    values.update(overrides)
    return StatementInput(**values)


def make_statement(db: Session, *, owner: User, **overrides: str) -> Statement:
    return statements.create_statement(db, actor=owner, data=statement_input(**overrides))


def open_statement(db: Session, *, owner: User, **overrides: str) -> Statement:
    statement = make_statement(db, owner=owner, **overrides)
    statements.open_statement(db, statement=statement, actor=owner)
    return statement


def individual(**overrides: str) -> dict[str, str]:
    values = {
        "kind": "individual",
        "name": "Kim Jeong-sam",
        "note": "elder brother of a detainee",
        "country": "KR",
        "email": "jeongsam@example.org",
        "listing": "named",
        "consent_privacy": "true",
    }
    values.update(overrides)
    return values


def organisation(**overrides: str) -> dict[str, str]:
    values = {
        "kind": "organisation",
        "organisation": "Transitional Justice Working Group",
        "acronym": "TJWG",
        "website": "https://tjwg.org",
        "name": "Hubert Younghwan Lee",
        "title": "Executive Director",
        "country": "KR",
        "email": "director@tjwg.org",
        "listing": "named",
        "authorised": "true",
        "consent_privacy": "true",
    }
    values.update(overrides)
    return values


def approve_signers(
    db: Session,
    statement: Statement,
    values: list[dict[str, str]],
    *,
    individuals_in_given_order: bool = False,
) -> None:
    """Signatures from sign-form values, cleaned like the form, already approved.

    With `individuals_in_given_order`, individuals get manual list positions in the order
    given (as the HRC58 coordinators listed the families)."""
    for i, value in enumerate(values):
        clean = clean_sign_input(SignInput(**value), statement)
        person = clean.kind == SignerKind.INDIVIDUAL
        db.add(
            Signature(
                **asdict(clean),
                statement_id=statement.id or 0,
                status=SignatureStatus.APPROVED,
                nonce=f"n{i}",
                position=i if (individuals_in_given_order and person) else None,
            )
        )
    db.flush()
