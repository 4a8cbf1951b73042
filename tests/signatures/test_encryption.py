"""Signer data is encrypted at rest: a copy of the database (pg_dump, the SQLite file and
its WAL) holds none of it, while the team still sees everything; keys rotate; repeat
signers are still recognised through the blind index."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.db import new_session
from app.mail.models import OutboxMessage
from app.security import encryption, rekey
from app.signatures import forms
from app.signatures.forms import SignInput
from app.signatures.models import Signature
from app.signatures.moderation import service as moderation
from app.signatures.retention.privacy import service as privacy
from app.signatures.signing import service as signing
from tests.factories import PASSWORD, individual, make_user, open_statement, organisation
from tests.helpers import run_signing_worker, sign_in

# Every text field of an anonymous and a counted-only signer of each kind carries a marker.
SIGNERS = {
    f"{listing}-{kind}": (kind, listing) for listing in ("anonymous", "counted")
    for kind in ("individual", "organisation")
}  # fmt: skip
LEAD_NOTE = "zqleadnote only the team may read"
PRIVACY_ASKER = "zqprivacyasker@example.org"


def _values(tag: str) -> dict[str, str]:
    kind, listing = SIGNERS[tag]
    marker = "zq" + tag.replace("-", "")
    common = {
        "name": f"{marker}name Kim",
        "email": f"{marker}mail@example.org",
        "listing": listing,
        "country": "KP",
    }
    if kind == "individual":
        return individual(**common, note=f"{marker}note")
    return organisation(
        **common,
        organisation=f"{marker}org Group",
        acronym=f"{marker}acr",
        title=f"{marker}title",
        website=f"https://{marker}site.example",
    )


def _markers() -> list[str]:
    """Each marker as it is typed (the dump is searched in lower case)."""
    found = ["zqleadnote", "zqprivacyasker"]
    for tag, (kind, _listing) in SIGNERS.items():
        fields = ["name", "mail"] + (
            ["note"] if kind == "individual" else ["org", "acr", "title", "site"]
        )
        found += ["zq" + tag.replace("-", "") + field for field in fields]
    return found


def _dump(engine: Engine) -> bytes:
    """What a thief with a copy of the database would hold."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        return subprocess.run(["pg_dump", dsn], check=True, capture_output=True).stdout
    path = Path(url.database or "")
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    )


def test_a_copy_of_the_database_holds_no_signer_data_the_team_sees_it_all(
    committed: Engine, client: TestClient
) -> None:
    with new_session(committed) as session:
        lead = make_user(session)
        statement = open_statement(session, owner=lead, slug="sealed")
        for n, tag in enumerate(SIGNERS):
            signing.submit(
                session,
                statement=statement,
                data=SignInput.model_validate(_values(tag)),
                context=signing.Context(ip=f"192.0.2.{n + 1}", form_age_seconds=60),
            )
        run_signing_worker(session)  # the confirmation emails, greeting each by name
        first = session.exec(select(Signature).order_by(col(Signature.id))).first()
        assert first is not None
        moderation.add_note(session, signature=first, actor=lead, body=LEAD_NOTE)
        privacy.request_report(session, email=PRIVACY_ASKER, ip="192.0.2.99")
        session.commit()
        first_id = first.id

    markers = _markers()
    assert len(markers) == 20
    dump = _dump(committed).lower()
    assert b"enc1:" in dump  # the data is there, sealed
    assert [m for m in markers if m.encode() in dump] == []

    # The team sees everything: the moderation page, the signature's page, the team CSV.
    sign_in(client, "lead@example.org", PASSWORD)
    page = client.get("/statements/sealed/signatures").text
    for tag in SIGNERS:
        assert _values(tag)["email"] in page or _values(tag)["name"] in page
    detail = client.get(f"/statements/sealed/signatures/{first_id}").text
    assert LEAD_NOTE in detail
    csv = client.get("/statements/sealed/export/team.csv").content.decode("utf-8-sig")
    for tag in SIGNERS:
        for field, value in _values(tag).items():
            if field not in ("kind", "listing", "consent_privacy", "authorised", "country"):
                assert value in csv, (tag, field)


def test_rotation_moves_every_value_to_the_new_key(committed: Engine) -> None:
    settings = get_settings()
    key_a = settings.encryption_key
    key_b = encryption.new_key()
    with new_session(committed) as session:
        lead = make_user(session)
        statement = open_statement(session, owner=lead, slug="rotated")
        for n in range(3):
            signing.submit(
                session,
                statement=statement,
                data=SignInput.model_validate(individual(email=f"r{n}@example.org")),
                context=signing.Context(ip="192.0.2.1", form_age_seconds=60),
            )
        run_signing_worker(session)
        session.commit()
    with pytest.MonkeyPatch.context() as patch:
        # B is the key now; A is kept only to read what is still under it.
        patch.setattr(settings, "encryption_key", type(key_a)(key_b))
        patch.setattr(settings, "encryption_old_keys", key_a)
        progress = list(rekey.rotate(committed, batch_size=2))
        assert sum(p.rows_written for p in progress) >= 6  # 3 signatures, 3 emails
        assert sum(p.rows_written for p in rekey.rotate(committed)) == 0  # resumable: done
        # Only B from here on: everything reads.
        patch.setattr(settings, "encryption_old_keys", type(key_a)(""))
        with new_session(committed, write=False) as session:
            emails = sorted(s.email for s in session.exec(select(Signature)))
            assert emails == ["r0@example.org", "r1@example.org", "r2@example.org"]
            assert all("Kim Jeong-sam" in m.text_body for m in session.exec(select(OutboxMessage)))
    # Back on A alone, the values under B cannot be read: a clear error, never the data.
    with new_session(committed, write=False) as session, pytest.raises(encryption.UnreadableValue):
        session.exec(select(Signature)).all()


def test_an_unknown_key_is_a_clear_error_page_not_data(client: TestClient, db: Session) -> None:
    lead = make_user(db)
    statement = open_statement(db, owner=lead, slug="hrc58")
    signing.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(individual()),
        context=signing.Context(ip="192.0.2.1", form_age_seconds=60),
    )
    stranger = encryption.Keyring(encryption.parse_key(encryption.new_key()))
    db.execute(
        text("UPDATE signature SET name = :sealed"),
        {"sealed": stranger.encrypt("Kim Jeong-sam")},
    )
    sign_in(client, "lead@example.org", PASSWORD)
    response = client.get("/statements/hrc58/signatures")
    assert response.status_code == 503
    assert "encrypted with a key this server does not have" in response.text
    assert "Kim Jeong-sam" not in response.text and "enc1:" not in response.text


def test_a_repeat_signer_is_found_through_the_blind_index(db: Session) -> None:
    lead = make_user(db)
    statement = open_statement(db, owner=lead, slug="hrc58")
    for email in ("Jeong.Sam@Example.org", "jeong.sam+again@EXAMPLE.ORG"):
        signing.submit(
            db,
            statement=statement,
            data=SignInput.model_validate(individual(email=email)),
            context=signing.Context(ip="192.0.2.1", form_age_seconds=60),
        )
    (stored,) = db.exec(select(Signature)).all()
    assert stored.email == "jeong.sam@example.org"  # the form keeps it in lower case
    assert stored.email_key == forms.email_key("jeong.sam@example.org")
    assert "example" not in stored.email_key  # an HMAC, not the address
    raw = db.execute(text("SELECT email FROM signature")).scalar_one()
    assert raw.startswith("enc1:") and "example" not in raw.lower()


def test_encrypt_existing_seals_what_an_upgrade_left_in_clear(db: Session) -> None:
    lead = make_user(db)
    statement = open_statement(db, owner=lead, slug="hrc58")
    signing.submit(
        db,
        statement=statement,
        data=SignInput.model_validate(individual()),
        context=signing.Context(ip="192.0.2.1", form_age_seconds=60),
    )
    # As an installation from before encryption holds it: plaintext.
    db.execute(text("UPDATE signature SET name = 'Kim Jeong-sam', email = 'kim@example.org'"))
    (signature,) = db.exec(select(Signature)).all()
    db.refresh(signature)
    assert signature.name == "Kim Jeong-sam"  # plaintext still reads until sealed
    written = sum(p.rows_written for p in rekey.seal_plaintext(db.connection(), batch_size=1))
    assert written == 1
    raw = db.execute(text("SELECT name, email FROM signature")).one()
    assert all(v.startswith("enc1:") for v in raw)
    db.refresh(signature)
    assert (signature.name, signature.email) == ("Kim Jeong-sam", "kim@example.org")
    again = [p for p in rekey.seal_plaintext(db.connection()) if p.rows_written]
    assert again == []
