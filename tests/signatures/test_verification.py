"""Organisation verification against a real DNS server and a real web server on
127.0.0.1 (tests/verification_servers.py): every level, DMARC policies, the address guard."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.signatures.models import Signature
from app.signatures.verification import checks, fetch
from app.signatures.verification import service as verification
from app.signatures.verification.models import Dmarc, Level, OrgVerification
from tests.factories import approve_signers, make_user, open_statement, organisation
from tests.verification_servers import Web, Zone


def _org(db: Session, website: str, email: str, **more: str) -> OrgVerification:
    """An approved organisation signature and its verification row, checked once."""
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(db, statement, [organisation(website=website, email=email, **more)])
    verification.prepare(db)
    checks.check_due(db)
    return db.exec(select(OrgVerification)).one()


@pytest.mark.parametrize(
    ("record", "policy", "level"),
    [
        ("v=DMARC1; p=reject; rua=mailto:d@ngo.example", Dmarc.REJECT, Level.MAILBOX),
        ("v=DMARC1;p=quarantine", Dmarc.QUARANTINE, Level.MAILBOX),
        ("v=DMARC1; p=none", Dmarc.NONE, Level.DECLARED),
        (None, Dmarc.MISSING, Level.DECLARED),
        ("v=DMARC1; p=maybe", Dmarc.MALFORMED, Level.DECLARED),
        ("v=DMARC1; reject", Dmarc.MALFORMED, Level.DECLARED),
    ],
)
def test_mailbox_level_needs_an_enforced_dmarc_policy(
    db: Session, zone: Zone, record: str | None, policy: Dmarc, level: Level
) -> None:
    if record is not None:
        zone.txt("_dmarc.ngo.example", record)
    zone.a("ngo.example", "192.0.2.1")  # never reached: no fetch goes beyond the guard here
    row = _org(db, "https://ngo.example", "director@ngo.example")
    assert (row.dmarc, row.level) == (policy, level)
    if policy in (Dmarc.NONE, Dmarc.MISSING):
        assert checks.SPOOFABLE in row.reason.split("\n")
    if policy == Dmarc.MALFORMED:
        assert "malformed" in row.reason
    assert ("_dmarc.ngo.example", "TXT") in zone.asked


def test_a_subdomain_mailbox_uses_the_organisations_subdomain_policy(
    db: Session, zone: Zone
) -> None:
    zone.txt("_dmarc.ngo.example", "v=DMARC1; p=reject; sp=none")
    row = _org(db, "https://www.ngo.example", "director@mail.ngo.example")
    assert (row.dmarc, row.level) == (Dmarc.NONE, Level.DECLARED)


def test_an_address_off_the_domain_stays_declared(db: Session, zone: Zone) -> None:
    zone.txt("_dmarc.webmail.example", "v=DMARC1; p=reject")
    row = _org(db, "https://ngo.example", "ngo@webmail.example")
    assert row.level == Level.DECLARED
    assert checks.OFF_DOMAIN in row.reason.split("\n")
    assert ("_dmarc.webmail.example", "TXT") not in zone.asked


def test_domain_control_by_dns_txt_record(db: Session, zone: Zone) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    approve_signers(
        db, statement, [organisation(website="https://ngo.example", email="a@elsewhere.example")]
    )
    verification.prepare(db)
    row = db.exec(select(OrgVerification)).one()
    zone.txt("ngo.example", "v=spf1 -all")
    zone.txt("ngo.example", checks.TXT_PREFIX + row.code)
    checks.check_due(db)
    db.refresh(row)
    assert (row.level, row.reason, row.check_due_at) == (Level.DOMAIN_CONTROL, "", None)


def test_domain_control_by_well_known_file(db: Session, zone: Zone, web: Web) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hrc58")
    website = f"http://ngo.example:{web.port}/en/"
    approve_signers(db, statement, [organisation(website=website, email="a@elsewhere.example")])
    verification.prepare(db)
    row = db.exec(select(OrgVerification)).one()
    zone.a("ngo.example", "127.0.0.1")
    web.redirect(checks.WELL_KNOWN, "/files/code.txt")  # a redirect on the same host is fine
    web.text("/files/code.txt", f"{row.code}\n")
    checks.check_due(db)
    db.refresh(row)
    assert row.level == Level.DOMAIN_CONTROL
    assert web.requests == [
        (f"ngo.example:{web.port}", checks.WELL_KNOWN),
        (f"ngo.example:{web.port}", "/files/code.txt"),
    ]


def test_a_wrong_code_on_the_website_is_not_control(db: Session, zone: Zone, web: Web) -> None:
    zone.a("ngo.example", "127.0.0.1")
    web.text(checks.WELL_KNOWN, "someone-elses-code")
    row = _org(db, f"http://ngo.example:{web.port}", "a@elsewhere.example")
    assert row.level == Level.DECLARED
    assert row.check_due_at is not None  # looked for again later


@pytest.mark.parametrize(
    "address", ["127.0.0.2", "10.1.2.3", "192.168.0.10", "169.254.169.254", "fe80::1", "::1"]
)
def test_the_guard_refuses_local_answers_before_any_connection(zone: Zone, address: str) -> None:
    if ":" in address:
        zone.aaaa("inside.example", address)
    else:
        zone.a("inside.example", address)
    fetcher = fetch.Fetcher()
    with pytest.raises(fetch.Refused) as refused:
        fetcher.get("http://inside.example/.well-known/undersigned-verification.txt")
    assert refused.value.reason == "The website points to a private or local address."
    assert fetcher.connections == []


def test_one_private_address_among_public_ones_is_refused(zone: Zone) -> None:
    zone.a("mixed.example", "192.0.2.10")
    zone.a("mixed.example", "10.0.0.1")
    fetcher = fetch.Fetcher()
    with pytest.raises(fetch.Refused):
        fetcher.get("http://mixed.example/")
    assert fetcher.connections == []


def test_a_redirect_into_a_private_address_is_refused(zone: Zone, web: Web) -> None:
    zone.a("ngo.example", "127.0.0.1")
    zone.a("metadata.example", "169.254.169.254")
    web.redirect(checks.WELL_KNOWN, "http://metadata.example/latest/meta-data/")
    fetcher = fetch.Fetcher()
    with pytest.raises(fetch.Refused) as refused:
        fetcher.get(f"http://ngo.example:{web.port}{checks.WELL_KNOWN}")
    assert refused.value.reason == "The website points to a private or local address."
    assert fetcher.connections == [("127.0.0.1", web.port)]


def test_loopback_is_refused_without_the_test_allowance(
    zone: Zone, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "verification_fetch_allow", "")
    zone.a("ngo.example", "127.0.0.1")
    fetcher = fetch.Fetcher()
    with pytest.raises(fetch.Refused):
        fetcher.get(f"http://ngo.example:{web.port}/")
    assert fetcher.connections == [] and web.requests == []


def test_a_huge_answer_is_refused(zone: Zone, web: Web) -> None:
    zone.a("ngo.example", "127.0.0.1")
    web.text(checks.WELL_KNOWN, "x" * 100_000)
    with pytest.raises(fetch.Refused) as refused:
        fetch.Fetcher().get(f"http://ngo.example:{web.port}{checks.WELL_KNOWN}")
    assert refused.value.reason == "The file on the website is too large."


def test_a_slow_answer_is_given_up(
    db: Session, zone: Zone, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "verification_fetch_timeout", 0.5)

    def stall(h: object) -> None:
        web.release.wait(60)  # until the test is over: the fetch must give up first

    web.routes[checks.WELL_KNOWN] = stall
    zone.a("ngo.example", "127.0.0.1")
    row = _org(db, f"http://ngo.example:{web.port}", "a@elsewhere.example")
    assert row.level == Level.DECLARED
    assert "The website took too long to answer." in row.reason.split("\n")


def test_no_website_means_nothing_to_check(db: Session, zone: Zone) -> None:
    row = _org(db, "", "a@elsewhere.example")
    assert (row.level, row.check_due_at, row.reason) == (Level.DECLARED, None, checks.NO_SITE)
    assert zone.asked == []


def test_dns_answers_are_cached_for_their_ttl(db: Session, zone: Zone) -> None:
    zone.txt("_dmarc.ngo.example", "v=DMARC1; p=reject")
    _org(db, "https://ngo.example", "director@ngo.example")
    asked = len(zone.asked)
    row = db.exec(select(OrgVerification)).one()
    signature = db.get(Signature, row.signature_id)
    assert signature is not None
    checks.check(row, website=signature.website, confirmed=True)
    assert len(zone.asked) == asked


def test_production_refuses_the_test_allowance() -> None:
    from pydantic import SecretStr, ValidationError

    from app.core.config import Settings

    def production(allow: str) -> Settings:
        return Settings(
            app_env="production",
            secret_key=SecretStr("k" * 40),
            base_url="https://undersigned.example",
            smtp_host="mail.example",
            verification_fetch_allow=allow,
        )

    assert production("").verification_fetch_allow == ""
    with pytest.raises(ValidationError, match="VERIFICATION_FETCH_ALLOW"):
        production("127.0.0.1")
