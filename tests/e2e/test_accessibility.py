"""Every public and team page, in English and Korean, checked with axe-core in Chromium:
no serious or critical violation anywhere. Also: the main pages fit a 320 px screen.

axe-core comes from npm (package.json; `make test` installs it). Our CSP allows only
same-origin scripts, so axe.min.js is not added as a <script> tag: Playwright evaluates it
as an init script, through the DevTools protocol, which page policies do not govern. The
pages themselves are served exactly as to anyone else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page

from app.core.db import make_engine, new_session
from app.mail import service as mail
from tests.e2e.conftest import ROOT, Site, serve, sign_in_state

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
LANGUAGES = ("en", "ko")

# Rows the import preview sorts into good, bad (no email) and duplicate (already signed).
IMPORT_CSV = (
    b"Name,Email,Country,Organisation\n"
    b"Choi Hana,hana@example.org,KR,\n"
    b"No Email,,KR,\n"
    b"Kim Jeong-sam,signer1@example.org,KR,\n"
)


def _submit(selector: str = "main form.stack button[type=submit]") -> Callable[[Page], None]:
    """Send a form as it is: empty, so the page comes back with its errors."""

    def act(page: Page) -> None:
        with page.expect_navigation():
            page.locator(selector).last.click()

    return act


def _upload_csv(page: Page) -> None:
    csv = FilePayload(name="signers.csv", mimeType="text/csv", buffer=IMPORT_CSV)
    page.locator("#f-file").set_input_files(files=[csv])
    with page.expect_navigation():
        page.locator("main form.stack button[type=submit]").click()


def _map_columns(page: Page, *, kind: str = "") -> None:
    """Upload, then ask for the preview; with no kind for the rows, the mapping page comes
    back with its errors."""
    _upload_csv(page)
    if kind:
        page.locator("#f-default_kind").select_option(kind)
    with page.expect_navigation():
        page.locator("main form.stack button[type=submit]").click()


def _preview_import(page: Page) -> None:
    _map_columns(page, kind="individual")


def _open_an_operation(page: Page) -> None:
    """Swagger UI draws itself after the page has loaded; check it with one operation
    open, as someone reading the docs would have it."""
    page.locator(".opblock-summary-control").first.click()
    page.wait_for_selector(".opblock-body")


@dataclass(frozen=True)
class Visit:
    name: str
    path: str  # formatted with the Site's fields: {open_slug}, {confirm_token}, …
    who: str = "public"  # or "team": signed in as a lead who is an administrator
    then: Callable[[Page], None] | None = None  # what to do before the check
    shows: str = "main h1"  # a selector that proves the page is the one meant

    def __str__(self) -> str:
        return self.name


TEAM = "/statements/{open_slug}"
PAGES = [
    # Public pages, as a signer or a reader sees them.
    Visit("home", "/"),
    Visit("login", "/login"),
    Visit(
        "login-error",
        "/login",
        then=_submit("main form[action='/login'] button[type=submit]"),
        shows="#error-summary",
    ),
    Visit("statement", "/s/{open_slug}"),
    Visit("statement-final", "/s/{final_slug}"),
    Visit("sign", "/s/{open_slug}/sign"),
    Visit("sign-errors", "/s/{open_slug}/sign", then=_submit(), shows="#error-summary"),
    Visit("check-your-email", "/s/{open_slug}/sign/check-your-email"),
    Visit("signatories", "/s/{open_slug}/signatories"),
    Visit("signatories-search", "/s/{final_slug}/signatories?q=Kim"),
    Visit("final", "/s/{final_slug}/final"),
    Visit("verify", "/verify"),
    Visit("verify-authentic", "/verify?sha256={final_sha256}", shows="main .notice"),
    Visit("verify-unknown", "/verify?sha256=" + "0" * 64, shows="main .error-summary"),
    Visit("privacy", "/privacy"),
    Visit("review", "/review/{review_token}"),
    Visit("review-errors", "/review/{review_token}", then=_submit(), shows="#error-summary"),
    Visit("confirm", "/confirm/{confirm_token}", shows="main form button[type=submit]"),
    Visit("withdraw", "/withdraw/{withdraw_token}", shows="main form button.danger"),
    Visit("reconfirm", "/reconfirm/{reconfirm_token}", shows="main .legend"),
    Visit("invite", "/invite/{invite_token}", shows="#f-password"),
    Visit("not-found", "/s/no-such-statement"),
    # The team's pages, signed in as a lead who is an administrator.
    Visit("dashboard", "/dashboard", "team"),
    Visit("account", "/account", "team"),
    Visit("tokens", "/account/tokens", "team", shows="main table"),
    Visit("team", "/team", "team"),
    Visit("outbox", "/outbox", "team", shows="main .badge.failed"),
    Visit("new-statement", "/statements/new", "team"),
    Visit("new-statement-errors", "/statements/new", "team", _submit(), "#error-summary"),
    Visit("overview", TEAM, "team"),
    Visit("overview-draft", "/statements/{draft_slug}", "team"),
    Visit("overview-final", "/statements/{final_slug}", "team"),
    Visit(
        "extend-errors",
        TEAM,
        "team",
        _submit("form[action$='/deadline'] button[type=submit]"),
        "#error-summary",
    ),
    Visit("edit", TEAM + "/edit", "team"),
    Visit("signatures", TEAM + "/signatures", "team", shows="#bulk"),
    Visit("signature", TEAM + "/signatures/{signature_id}", "team", shows="main dl.facts"),
    Visit("add-signature", TEAM + "/signatures/new", "team"),
    Visit("add-signature-errors", TEAM + "/signatures/new", "team", _submit(), "#error-summary"),
    Visit("import", TEAM + "/import", "team"),
    Visit("import-mapping", TEAM + "/import", "team", _upload_csv, "select[name=column]"),
    Visit("import-mapping-errors", TEAM + "/import", "team", _map_columns, "#error-summary"),
    Visit("import-preview", TEAM + "/import", "team", _preview_import, "#bad-rows"),
    Visit("exports", TEAM + "/exports", "team"),
    Visit("exports-final", "/statements/{final_slug}/exports", "team"),
    Visit("versions", TEAM + "/versions", "team"),
    Visit("version", TEAM + "/versions/1", "team"),
    Visit("compare", TEAM + "/compare?a=1&b=2", "team", shows="main .diff ins"),
    Visit("translations", TEAM + "/translations", "team"),
    Visit("translation", TEAM + "/translations/ko", "team", shows="main form textarea"),
    Visit("reconsent", TEAM + "/reconsent", "team", shows="#reconsent-counts"),
    Visit("review-links", TEAM + "/review", "team", shows="main article.comment"),
    Visit("statement-team", TEAM + "/team", "team"),
    Visit("audit", TEAM + "/audit", "team"),
    Visit("not-found-team", "/statements/no-such-statement", "team"),
    Visit("api-docs", "/docs", "team", _open_an_operation, "main .opblock-body"),
]
# A new installation, which keeps its mail in the dev mailbox (a server without SMTP).
NEW_INSTALLATION = [
    Visit("setup", "/setup"),
    Visit("setup-errors", "/setup", then=_submit(), shows="#error-summary"),
    Visit("dev-mailbox", "/dev/mailbox"),
    Visit("dev-mailbox-message", "/dev/mailbox/{mail_id}", shows="pre.mail-body"),
]


def new_context(
    browser: Browser, lang: str, storage_state: dict[str, Any] | None = None
) -> BrowserContext:
    """A browser in `lang` (the Accept-Language of the forms' POSTs too) with axe-core."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` runs `npm ci` to install axe-core")
    context = browser.new_context(
        viewport={"width": 1100, "height": 900},
        locale="ko-KR" if lang == "ko" else "en-GB",
        storage_state=storage_state,  # type: ignore[arg-type]
    )
    context.add_init_script(path=str(AXE))
    return context


@pytest.fixture(scope="module")
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """One tab per language and visitor (anonymous, or with the cookies of
    `storage_state`), reused from test to test: each starts with its own navigation."""
    pages: dict[tuple[str, bool], Page] = {}

    def page_for(lang: str, storage_state: dict[str, Any] | None = None) -> Page:
        key = (lang, storage_state is not None)
        if key not in pages:
            pages[key] = new_context(browser, lang, storage_state).new_page()
        return pages[key]

    yield page_for
    for page in pages.values():
        page.context.close()


@pytest.fixture(scope="module")
def team_state(browser: Browser, site: Site) -> dict[str, Any]:
    return sign_in_state(browser, site.server)


def with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; its violations of every impact."""
    result = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))
            }));
        }"""
    )
    return list(result)


def check(page: Page, url: str, visit: Visit, lang: str) -> str:
    """Visit the page and run axe; what is serious or critical there, described ("" if
    nothing). Lesser findings are printed, for -rA, without failing."""
    response = page.goto(with_lang(url, lang))
    assert response is not None
    expected = 404 if visit.name.startswith("not-found") else 200
    assert response.status == expected, f"{url}: HTTP {response.status}"
    if visit.then:
        visit.then(page)
    assert page.locator(visit.shows).count(), f"{page.url} shows no {visit.shows}"
    assert page.evaluate("document.documentElement.lang") == lang
    violations = axe_violations(page)
    others = [(v["impact"], v["id"]) for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(visit.name, lang, json.dumps(others))
    lines = []
    for v in violations:
        if v["impact"] in FAILING_IMPACTS:
            lines.append(f"{page.url}\n[{v['impact']}] {v['id']}: {v['help']}")
            for node in v["nodes"][:8]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"    {node['target']}  — {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", PAGES, ids=str)
def test_no_serious_axe_violations(
    visit: Visit,
    lang: str,
    site: Site,
    open_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    state = request.getfixturevalue("team_state") if visit.who == "team" else None
    page = open_page(lang, state)
    found = check(page, site.url + visit.path.format(**vars(site)), visit, lang)
    assert not found, found


def test_no_serious_axe_violations_on_a_new_installation(browser: Browser) -> None:
    """/setup exists only while there is no account, and the dev mailbox only without
    SMTP: one test, one more server."""
    with serve(smtp_port=None) as server:
        engine = make_engine(server.database_url)
        with new_session(engine) as session:
            message = mail.queue_email(
                session,
                kind="invite",
                to_address="newcomer@example.org",
                subject="Ada Lead invites you to Undersigned",
                template="invite",
                context={"inviter": "Ada Lead", "link": f"{server.url}/invite/x", "hours": 72},
            )
            session.commit()
            fields = {"mail_id": message.id}
        engine.dispose()
        found = []
        for lang in LANGUAGES:
            context = new_context(browser, lang)  # its own: cookies ignore the port
            page = context.new_page()
            try:
                for visit in NEW_INSTALLATION:
                    found.append(check(page, server.url + visit.path.format(**fields), visit, lang))
            finally:
                context.close()
    failing = "\n".join(f for f in found if f)
    assert not failing, failing


NARROW = [
    Visit("statement", "/s/{open_slug}"),
    Visit("sign", "/s/{open_slug}/sign"),
    Visit("sign-errors", "/s/{open_slug}/sign", then=_submit()),
    Visit("dashboard", "/dashboard", "team"),
]


@pytest.mark.parametrize("visit", NARROW, ids=str)
def test_usable_at_320_px(
    visit: Visit, site: Site, open_page: Callable[..., Page], request: pytest.FixtureRequest
) -> None:
    """No sideways scrolling on a small phone; wide tables scroll inside .table-scroll."""
    state = request.getfixturevalue("team_state") if visit.who == "team" else None
    page = open_page("en", state).context.new_page()
    try:
        page.set_viewport_size({"width": 320, "height": 640})
        page.goto(site.url + visit.path.format(**vars(site)))
        if visit.then:
            visit.then(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            """() => [...document.querySelectorAll("body *")]
                .filter(el => el.getBoundingClientRect().right > 321
                              && !el.closest(".table-scroll"))
                .slice(0, 5).map(el => el.outerHTML.slice(0, 120))"""
        )
        assert width <= 320, f"{visit.name} is {width} px wide at 320 px: {wide}"
    finally:
        page.close()
