"""Interface languages: complete catalogs, the language switcher and its cookie, Korean
dates and counts, and email in the language the signer used."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import i18n
from app.mail.models import OutboxMessage
from app.signatures.models import Signature
from app.statements.models import Moderation
from tests.factories import individual, make_user, open_statement
from tests.helpers import run_signing_worker, submit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalogs() -> ModuleType:
    """scripts/i18n.py, the tool that extracts, updates and checks the catalogs."""
    spec = importlib.util.spec_from_file_location("i18n_catalogs", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("i18n_catalogs", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template(catalogs: ModuleType) -> Catalog:
    catalog: Catalog = catalogs.extract()  # a module loaded from a path is untyped
    return catalog


def _ids(catalog: Catalog) -> set[str]:
    return {str(m.id[0] if isinstance(m.id, (tuple, list)) else m.id) for m in catalog if m.id}


# --- the catalogs ----------------------------------------------------------------------


def test_every_message_in_the_sources_is_translated(
    catalogs: ModuleType, template: Catalog
) -> None:
    """Fails when a string is added without its translation: run `python scripts/i18n.py
    extract && python scripts/i18n.py update`, then translate what `check` lists."""
    assert len(template) > 500  # the extractor found the templates and the Python code
    problems = catalogs.check(template)
    assert problems == {}, "\n".join(
        f"{locale}: {line}" for locale, lines in problems.items() for line in lines
    )


def test_the_committed_template_is_up_to_date(catalogs: ModuleType, template: Catalog) -> None:
    committed = catalogs.read(catalogs.POT)
    assert _ids(committed) == _ids(template), "run `python scripts/i18n.py extract`"


def test_python_strings_marked_for_later_are_extracted(template: Catalog) -> None:
    ids = _ids(template)
    assert "This link is not valid. Check that it was copied whole, or sign again." in ids
    assert "%(num)d individual" in ids  # ngettext in Python
    assert "The link works once and expires in %(count)s hour." in ids  # {% trans %} block


def test_every_language_with_a_catalog_is_offered() -> None:
    assert i18n.SUPPORTED_LOCALES[0] == "en"
    assert "ko" in i18n.SUPPORTED_LOCALES
    names = {str(code): code.native_name for code in i18n.SUPPORTED_LOCALES}
    assert names["en"] == "English" and names["ko"] == "한국어"


def test_korean_has_one_plural_form() -> None:
    korean = i18n.translations("ko")
    assert korean.ngettext("%(num)d individual", "%(num)d individuals", 1) == "개인 %(num)d명"
    assert korean.ngettext("%(num)d individual", "%(num)d individuals", 7) == "개인 %(num)d명"


def test_using_locale_speaks_another_language_and_puts_ours_back() -> None:
    assert i18n.get_locale() == "en"
    with i18n.using_locale("ko-KR") as locale:
        assert locale == "ko"
        assert i18n.gettext("Sign in") == "로그인"
    assert i18n.get_locale() == "en"
    with i18n.using_locale("xx"):
        assert i18n.get_locale() == "en"


def test_negotiation_skips_refused_and_unknown_languages() -> None:
    assert i18n.negotiate("fr-CH, ko;q=0.8, en;q=0.5") == "ko"
    assert i18n.negotiate("ko;q=0, en;q=0.1") == "en"
    assert i18n.negotiate("") == "en"


# --- choosing the language -------------------------------------------------------------


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


def test_lang_parameter_switches_and_the_cookie_keeps_it(client: TestClient) -> None:
    first = client.get("/privacy?lang=ko")
    assert _html_lang(first.text) == "ko"
    assert "개인정보 처리 안내" in first.text
    assert first.headers["content-language"] == "ko"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("lang=ko;") and "SameSite=Lax" in cookie and "Max-Age=" in cookie

    # Without the parameter, the cookie decides, whatever the browser prefers.
    later = client.get("/privacy", headers={"Accept-Language": "en"})
    assert _html_lang(later.text) == "ko"
    assert "set-cookie" not in later.headers  # nothing new to remember

    back = client.get("/privacy?lang=en")
    assert _html_lang(back.text) == "en"
    assert back.headers["set-cookie"].startswith("lang=en;")
    assert _html_lang(client.get("/privacy").text) == "en"


def test_accept_language_is_the_default_and_pages_vary_on_it(client: TestClient) -> None:
    page = client.get("/privacy", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"})
    assert _html_lang(page.text) == "ko"
    assert "set-cookie" not in page.headers  # a default is not a choice
    vary = {v.strip().lower() for v in page.headers["vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    assert _html_lang(client.get("/privacy?lang=xx").text) == "en"


def test_switcher_keeps_the_page_and_its_other_parameters(client: TestClient) -> None:
    page = client.get("/privacy?from=email&lang=en")
    switcher = re.search(r'<ul class="lang-switch">(.*?)</ul>', page.text, re.S)
    assert switcher
    found = re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', switcher.group(1))
    assert {lang: href for href, lang in found} == {
        "en": "/privacy?from=email&amp;lang=en",
        "ko": "/privacy?from=email&amp;lang=ko",
    }
    assert 'lang="ko"' in switcher.group(1) and ">한국어<" in switcher.group(1)


def test_static_files_do_not_vary_on_language(client: TestClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "cookie" not in response.headers.get("vary", "").lower()


# --- a Korean signer -------------------------------------------------------------------


def _mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)  # the worker writes signers' emails after the request
    query = select(OutboxMessage).where(OutboxMessage.kind == kind)
    return list(db.exec(query.order_by(col(OutboxMessage.id))))


def test_korean_signer_gets_korean_email_and_sees_korean_dates_and_counts(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    statement = open_statement(
        db, owner=owner, slug="ko-sign", deadline_date="2099-03-21", deadline_zone="Asia/Seoul"
    )
    statement.moderation = Moderation.AUTO_ALL
    db.flush()

    form = client.get("/s/ko-sign/sign?lang=ko")
    assert "서명하기" in form.text and "대한민국" in form.text  # countries in Korean too
    assert submit(client, "/s/ko-sign/sign", **individual()).status_code == 303
    signature = db.exec(select(Signature)).one()
    assert signature.locale == "ko"
    [confirm] = _mail(db, "signature_confirm")
    assert confirm.locale == "ko"
    assert confirm.subject.startswith("서명을 확인해 주십시오")
    assert "서명하지 않으셨다면" in confirm.text_body and "lang=" not in confirm.text_body

    # Confirmed from a browser that prefers English: the thank-you still speaks Korean.
    client.cookies.clear()
    link = re.search(r"http://testserver(/confirm/\S+)", confirm.text_body)
    assert link
    client.headers["Accept-Language"] = "en"
    assert "Your signature is confirmed" in submit(client, link.group(1)).text
    [thanks] = _mail(db, "signature_confirmed")
    assert thanks.locale == "ko" and thanks.subject.startswith("서명해 주셔서 감사합니다")

    korean = client.get("/s/ko-sign?lang=ko").text
    assert "2099년 3월 21일" in korean
    assert "개인 1명" in korean and "Kim Jeong-sam" in korean
    english = client.get("/s/ko-sign?lang=en").text
    assert "21 March 2099" in english and "1 individual" in english
    assert "Kim Jeong-sam" in english


def test_downloads_speak_the_statements_language_whatever_the_reader_reads(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="english-doc")
    statement.moderation = Moderation.AUTO_ALL
    db.flush()
    client.get("/s/english-doc/sign?lang=ko")
    submit(client, "/s/english-doc/sign", **individual())
    [confirm] = _mail(db, "signature_confirm")
    link = re.search(r"http://testserver(/confirm/\S+)", confirm.text_body)
    assert link
    submit(client, link.group(1))
    assert "개인" in client.get("/s/english-doc/signatories").text  # the page: the reader's
    text = client.get("/s/english-doc/signatories.txt").text  # the document: the statement's
    assert "Signatories (as of" in text and "Individuals" in text
