"""Email to a signer: always in the language they signed in, whoever's request sends it
(their own click, a lead's re-consent round, the worker's final-document notice)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.core.i18n import gettext as _
from app.core.i18n import using_locale
from app.mail import service as mail
from app.signatures.models import Signature


def email_signer(
    session: Session, signature: Signature, *, template: str, subject: str, **context: Any
) -> None:
    """Queue `emails/<template>.*` to the signer. `subject` is a msgid marked with `N_`,
    translated here and formatted with the context (e.g. its `title`)."""
    with using_locale(signature.locale):
        mail.queue_email(
            session,
            kind=template,
            to_address=signature.email,
            to_name=signature.name,
            subject=_(subject) % context,
            template=template,
            context={"name": signature.name, **context},
            statement_id=signature.statement_id,
        )
