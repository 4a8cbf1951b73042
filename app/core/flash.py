"""One-shot notices after a redirect ("Invitation sent"). The cookie carries only a key
from this table, never text, so nothing can be injected through it."""

from __future__ import annotations

from fastapi import Request, Response

from app.core.i18n import gettext as _

COOKIE = "flash"


def _messages() -> dict[str, str]:
    return {
        "setup-done": _("Your administrator account is ready, and you are signed in."),
        "signed-out": _("You are signed out."),
        "invite-sent": _("Invitation sent."),
        "invite-revoked": _("Invitation withdrawn."),
        "invite-accepted": _("Welcome! Your account is ready, and you are signed in."),
        "session-revoked": _("That session has been signed out."),
        "sessions-revoked": _("Every other session has been signed out."),
        "password-changed": _("Your password is changed. Your other sessions are signed out."),
        "password-reset": _("Your password is changed. Sign in with it now."),
        "phrase-saved": _("Your security phrase is saved. Emails to you will show it."),
        "lead-deactivated": _(
            "The lead is deactivated: their sessions and API tokens no longer work."
        ),
        "lead-reactivated": _("The lead is active again. They need to sign in again."),
        "language-saved": _("Your language is saved. Emails to you will be written in it."),
        "mail-retried": _("The message will be sent again."),
        "statement-created": _("Statement created. It is a draft: only its team can see it."),
        "statement-saved": _("Changes saved."),
        "statement-opened": _("The statement is open for signatures."),
        "statement-closed": _("The statement is closed."),
        "deadline-extended": _("The deadline has been changed."),
        "team-updated": _("The team has been updated."),
        "review-link-created": _("Review link created. Copy it from the list below."),
        "review-link-revoked": _("The review link no longer works."),
        "statement-finalised": _("The statement is final. Its signed PDF is ready."),
        "signature-approved": _("The signature is approved."),
        "signature-rejected": _("The signature is rejected."),
        "signature-corrected": _("How the name is shown has changed. What they typed is kept."),
        "signature-note-added": _("Note added."),
        "signature-added": _("Signature added. No email was sent to the signer."),
        "blocklist-updated": _("The blocklist has been updated."),
        "reconsent-decided": _("Your decision about those who have not re-confirmed is saved."),
        "digest-saved": _("Your digest setting is saved."),
        "document-languages": _("Saved. The PDF carries the translations you chose."),
        "reconsent-started": _(
            "Saved as a material change: earlier signers are asked by email to confirm again."
        ),
        "signatures-imported": _("The signatures have been imported."),
        "list-saved": _("The list's settings are saved."),
        "signatures-grouped": _("The signatures are in their new group."),
        "comment-sent": _("Thank you. Your comment has been sent to the statement's team."),
        "passkey-added": _("Passkey added."),
        "passkey-renamed": _("Passkey renamed."),
        "passkey-removed": _("Passkey removed."),
        "totp-removed": _("The authenticator app is removed."),
        "password-off": _("Your password is switched off: sign in with a passkey."),
        "password-on": _("Your password signs you in again, with a second factor."),
        "stepped-up": _("Thank you. You can go on."),
        "factors-reset": _("Their second factors are removed and their sessions signed out."),
        "security-saved": _("The security setting is saved."),
    }


def flash(response: Response, key: str) -> None:
    response.set_cookie(COOKIE, key, max_age=60, path="/", httponly=True, samesite="lax")


def read(request: Request) -> str | None:
    key = request.cookies.get(COOKIE)
    return _messages().get(key) if key else None


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
