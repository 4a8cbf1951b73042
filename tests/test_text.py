"""What a clean name and a clean website are (app/core/text.py), and the sign form, the API
and the import all reaching that one cleaning."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import text
from app.core.errors import BadRequest
from app.core.text import check_website, clean_line
from app.mail.models import OutboxMessage
from app.signatures.models import Signature
from tests.factories import individual, make_user, open_statement, organisation
from tests.helpers import csrf_from, submit

ZWJ, ZWNJ = "\u200d", "\u200c"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man, woman, girl
WEBSITE_MESSAGE = "Enter the website as an address, like https://example.org"


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        # Latin, Hangul and Cyrillic names lose every zero-width or invisible character.
        (f"Acme{ZWJ}Corp", "AcmeCorp"),
        (f"Ac{ZWNJ}me Alliance", "Acme Alliance"),
        (f"Citizens{ZWJ} Alliance{ZWJ}", "Citizens Alliance"),
        ("\ufeffTJWG\u2060", "TJWG"),
        ("Kim\u200bJeong\u200b-sam", "KimJeong-sam"),
        (f"김{ZWJ}민준", "김민준"),
        ("이\u200b서연", "이서연"),
        (f"북한인권{ZWNJ}시민연합", "북한인권시민연합"),
        (f"Ива{ZWJ}нов", "Иванов"),
        # Bidi controls that would make a name read backwards.
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("\u202aLeft\u202c \u202bRight\u202c \u202dOver\u202e", "Left Right Over"),
        ("\u2066isolated\u2069 \u2067rtl\u2068first\u2069", "isolated rtlfirst"),
        ("\u200fsister\u200e of a detainee", "sister of a detainee"),
        # A name of Hangul fillers or soft hyphens is no name at all.
        ("\u3164\u3164", ""),
        ("Zo\u00ade", "Zoe"),
        # Tag characters hide ASCII text outside a flag.
        ("Lee\U000e0069\U000e0067\U000e006e", "Lee"),
        # Emoji sequences keep their joiners; a stray one after an emoji goes.
        (f"{FAMILY} Family Network", f"{FAMILY} Family Network"),
        ("\U0001f3f3\ufe0f\u200d\U0001f308 Pride", "\U0001f3f3\ufe0f\u200d\U0001f308 Pride"),
        (
            "\U0001f469\U0001f3fd\u200d\U0001f4bb Coders",
            "\U0001f469\U0001f3fd\u200d\U0001f4bb Coders",
        ),
        (f"\U0001f54a{ZWJ}Peace", "\U0001f54aPeace"),
        (f"Peace{ZWJ}\U0001f54a", "Peace\U0001f54a"),
        (
            "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f Wales",
            "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f Wales",
        ),
        # Persian, Arabic and Indic spelling keeps the joiners it needs.
        (f"می{ZWNJ}خواهم", f"می{ZWNJ}خواهم"),
        (f"مهر{ZWNJ}آوران", f"مهر{ZWNJ}آوران"),
        (f"عبد{ZWJ}الله", f"عبد{ZWJ}الله"),
        (f"क्{ZWJ}ष", f"क्{ZWJ}ष"),
        (f"क्{ZWNJ}ष", f"क्{ZWNJ}ष"),
        (f"ന്{ZWJ}", f"ന്{ZWJ}"),  # a Malayalam chillu at the end of a word
        (f"ന്{ZWJ} Group", f"ന്{ZWJ} Group"),
        # ...but not between two scripts, or before a script that does not spell with them.
        (f"عبد{ZWJ}Allah", "عبدAllah"),
        (f"Ali{ZWNJ}علي", "Aliعلي"),
        (f"{ZWNJ}علي", "علي"),
        # NFC: "Zoë" typed with a combining diaeresis is the same name as precomposed.
        ("Zoe\u0308", "Zo\u00eb"),
        (f"Zo{ZWJ}e\u0308 Dubois", "Zo\u00eb Dubois"),
        ("Nguye\u0302\u0303n", "Nguy\u1ec5n"),
        ("\u1100\u1161\u11a8", "\uac01"),  # Hangul jamo compose into a syllable
        # Controls and line breaks become one space.
        ("Lee\r\nBcc: x@evil.example", "Lee Bcc: x@evil.example"),
        ("a\x00b\tc\u2028d", "a b c d"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_clean_line_keeps_only_the_joiners_a_script_or_emoji_needs(typed: str, clean: str) -> None:
    assert clean_line(typed, max_length=200) == clean


def test_clean_line_counts_the_cleaned_text_against_the_limit() -> None:
    assert clean_line("x" * 10 + "\u200b" * 50, max_length=10) == "x" * 10
    with pytest.raises(BadRequest, match="under 10 characters"):
        clean_line("x" * 11, max_length=10)


@pytest.mark.parametrize(
    "written",
    [
        "https://tjwg.org",
        "http://www.KoreaFuture.org/en",
        "https://www.nkhr.or.kr/",
        "https://example.org/en/about?lang=ko#team",
        "https://example.org:8443/path",
        "example.org",
        "www.example.org/about",
        "//example.org",
        "HTTPS://EXAMPLE.ORG",
        "https://한국인권.kr",
        "https://xn--3e0b707e.kr",
        "https://example.org./",
        "8.8.8.8",
    ],
)
def test_websites_people_write_are_kept_as_written(written: str) -> None:
    assert check_website(written) == written


@pytest.mark.parametrize(
    "written",
    [
        "exa mple.org",
        "https://example.org/a b",
        "https://exa\x00mple.org",
        "https://example.org/\tabout",
        "https://exam\u200bple.org",
        "not a url",
        "example",
        "localhost",
        "http://localhost:8000",
        "http://intranet.localhost",
        "http://192.168.1.1",
        "http://127.0.0.1",
        "ftp://example.org",
        "javascript:alert(1)",
        "mailto:info@example.org",
        "https://bank.example@evil.example",
        "https://",
        "https://example.org:99999",
        "https://-bad-.org",
        "https://under_score.org",
        "https://1.2",
        "file:///etc/passwd",
        "data://text/html,hi",
    ],
)
def test_anything_else_is_not_a_website(written: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_website(written)
    assert refused.value.message == WEBSITE_MESSAGE


def test_no_website_is_fine() -> None:
    assert check_website("") == ""
    assert check_website("   ") == ""


# --- the sign form, the API and the import reach the same cleaning ----------------------


def test_the_sign_form_stores_names_cleaned(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    signed = submit(
        client,
        "/s/hrc58/sign",
        **organisation(
            organisation=f"Transitional{ZWJ} Justice{ZWNJ} Working Group",
            name=f"Hubert{ZWJ} Lee\u200b",
            acronym=f"TJ{ZWJ}WG",
        ),
    )
    assert signed.status_code == 303, signed.text
    person = submit(
        client, "/s/hrc58/sign", **individual(name=f"{FAMILY} 김{ZWJ}민준", note="Zoe\u0308")
    )
    assert person.status_code == 303, person.text
    org, one = db.exec(select(Signature).order_by(col(Signature.id))).all()
    assert (org.organisation, org.name, org.acronym) == (
        "Transitional Justice Working Group",
        "Hubert Lee",
        "TJWG",
    )
    assert (one.name, one.note) == (f"{FAMILY} 김민준", "Zo\u00eb")


@pytest.mark.parametrize(
    "website", ["exa mple.org", "javascript:alert(1)", "http://localhost", "https://a@b.example"]
)
def test_the_sign_form_refuses_a_website_that_is_no_address(
    client: TestClient, db: Session, website: str
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    response = submit(client, "/s/hrc58/sign", **organisation(website=website))
    assert response.status_code == 422
    assert WEBSITE_MESSAGE in response.text
    assert f'<p class="field-error" id="f-website-error">{WEBSITE_MESSAGE}</p>' in response.text
    assert db.exec(select(Signature)).first() is None
    assert db.exec(select(OutboxMessage)).first() is None


def test_the_sign_form_still_takes_a_bare_domain(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    response = submit(client, "/s/hrc58/sign", **organisation(website=" tjwg.org "))
    assert response.status_code == 303, response.text
    signature = db.exec(select(Signature)).one()
    assert (signature.website, signature.site) == ("tjwg.org", "tjwg.org")


@pytest.mark.parametrize("raw", ["%FF", "Kim%C3", "%ED%A0%80", "Kim%00Lee"])
def test_the_sign_form_refuses_text_that_is_not_utf8_clearly(
    client: TestClient, db: Session, raw: str
) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    token = csrf_from(client.get("/s/hrc58/sign").text)
    body = urlencode({"csrf_token": token, **individual(name="PLACEHOLDER")})
    response = client.post(
        "/s/hrc58/sign",
        content=body.replace("PLACEHOLDER", raw).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "cannot be stored" in response.text
    assert "not valid UTF-8" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert db.exec(select(Signature)).first() is None
    assert db.exec(select(OutboxMessage)).first() is None


def test_the_api_refuses_a_website_that_is_no_address(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    open_statement(db, owner=owner, slug="hrc58")
    response = client.post(
        "/api/v1/public/statements/hrc58/signatures",
        json={**organisation(website="https://exa mple.org"), "authorised": True,
              "consent_privacy": True},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert WEBSITE_MESSAGE in response.text
    assert db.exec(select(Signature)).first() is None


@pytest.mark.parametrize(
    "value",
    [
        "Kim Jeong-sam", "  two   spaces ", "김정삼", "납북자 가족", "Lucía García", "e\u0301cole",
        "flag \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        "family \U0001f468\u200d\U0001f469\u200d\U0001f467", "thumb \U0001f44d\U0001f3fd",
        "\u3164", "a\u3164b", "\uffa0x", "tab\there", "nbsp\u00a0here", "line\u2028break",
        "\u202eevil", "zero\u200bwidth", "می\u200cخواهم",
    ],
)  # fmt: skip
def test_clean_line_takes_its_shortcut_only_where_the_full_pass_changes_nothing(
    value: str,
) -> None:
    full = unicodedata.normalize("NFC", value)
    full = text.drop_invisible(full)
    full = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in full)
    full = re.sub(r"\s+", " ", full).strip()
    assert text.clean_line(value, max_length=200) == full
