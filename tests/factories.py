"""Objects for tests, made through the same services the app uses."""

from __future__ import annotations

from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.models import User

PASSWORD = "correct horse battery staple"


def make_user(
    db: Session, *, email: str = "lead@example.org", name: str = "Lead", admin: bool = False
) -> User:
    user = accounts.create_admin(db, name=name, email=email, password=PASSWORD)
    user.is_admin = admin
    db.flush()
    return user
