"""Signing with the keyboard alone, errors a screen reader hears, focus that shows, and
pages that ask nothing of any other host."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.e2e.conftest import Site, sign_in_state

pytestmark = pytest.mark.browser

MAX_TABS = 80


def _focused(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "",
                        href: el.getAttribute("href") || "",
                        type: el.type || "", value: el.value || "",
                        text: (el.textContent || "").trim().slice(0, 80)};
            }"""
        )
    )


def tab_to(page: Page, wanted: Callable[[dict[str, Any]], bool], *, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element is the one wanted."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = _focused(page)
        assert focused["name"] != "homepage", "the honeypot must stay out of the tab order"
        if wanted(focused):
            return
        seen.append(focused["id"] or focused["name"] or focused["text"])
    raise AssertionError(f"never reached it with the keyboard; focus went through {seen}")


def named(name: str, value: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["name"] == name and (value is None or f["value"] == value)


def text(label: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["text"] == label


def type_into(page: Page, name: str, value: str) -> None:
    tab_to(page, named(name))
    page.keyboard.type(value)


def test_sign_with_the_keyboard_alone(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/s/{site.open_slug}")

    # The first Tab reaches the skip link, which takes focus past the header.
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Skip to content"
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"

    tab_to(page, text("Sign this statement"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign$"))

    # Sent empty: the errors come back, and the summary is announced and focused.
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Sign")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Some fields need your attention")
    for field in ("f-name", "f-email", "f-consent_privacy"):
        control = page.locator(f"#{field}")
        expect(control).to_have_attribute("aria-invalid", "true")
        described_by = (control.get_attribute("aria-describedby") or "").split()
        assert f"{field}-error" in described_by, f"{field} is described by {described_by}"
        expect(page.locator(f"#{field}-error")).not_to_be_empty()
    kind = page.locator("fieldset#f-kind")
    expect(kind).to_have_attribute("aria-describedby", "r-kind-error")
    expect(page.locator("#r-kind-error")).not_to_be_empty()

    # A link in the summary takes focus to its field.
    tab_to(page, lambda f: f["href"] == "#f-email")
    page.keyboard.press("Enter")
    expect(page.locator("#f-email")).to_be_focused()

    # Now fill it in, from the top of the form, with Tab, Space and typing only.
    # Shift+Tab enters a group of radios with no choice yet at its last choice.
    tab_to(page, named("kind"), back=True)
    assert _focused(page)["value"] == "individual"
    page.keyboard.press("Space")
    expect(page.locator("input[name=kind][value=individual]")).to_be_checked()
    expect(page.locator("#f-organisation")).to_be_hidden()  # only what an individual needs
    type_into(page, "name", "Han Keyboard")
    type_into(page, "note", "signs without a mouse")
    tab_to(page, named("signer_country"))
    page.keyboard.type("South Korea")
    expect(page.locator("#f-signer_country")).to_have_value("KR")
    type_into(page, "email", "keyboard@example.org")
    tab_to(page, named("consent_privacy"))
    page.keyboard.press("Space")
    expect(page.locator("#f-consent_privacy")).to_be_checked()
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Sign")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign/check-your-email$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")


FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(), visible: el.matches(":focus-visible"),
            style: style.outlineStyle,
            width: parseFloat(style.outlineWidth), shadow: style.boxShadow,
            text: (el.textContent || el.value || "").trim().slice(0, 40)};
}"""


def test_focus_is_visible(site: Site, page: Page) -> None:
    """Every stop of the Tab key on the sign form shows a focus ring."""
    page.goto(f"{site.url}/s/{site.open_slug}/sign")
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus["tag"] == "body":
            break
        assert focus["visible"], focus
        assert focus["style"] != "none" and focus["width"] >= 3, focus
        assert focus["shadow"] != "none", focus  # the dark ring around the yellow
        stops.append(focus["text"])
        if focus["tag"] == "button" and focus["text"] == "Sign":
            break
    assert stops[0] == "Skip to content" and stops[-1] == "Sign", stops
    assert len(stops) > 10, stops


# --- nothing leaves the app ------------------------------------------------------------

PUBLIC_PAGES = [
    "/",
    "/login",
    "/s/{open_slug}",
    "/s/{open_slug}/sign",
    "/s/{open_slug}/signatories",
    "/s/{final_slug}",
    "/s/{final_slug}/final",
    "/verify",
    "/privacy",
]
TEAM_PAGES = [
    "/dashboard",
    "/statements/new",
    "/statements/{open_slug}",
    "/statements/{open_slug}/edit",
    "/statements/{open_slug}/signatures",
    "/statements/{open_slug}/compare?a=1&b=2",
    "/docs",
]
# Pages whose script asks the server for something after the page has loaded, and what it
# asks for: the test waits for that request itself, never for the network to fall "idle".
SCRIPTED_PAGES = {
    "/docs": "/openapi.json",
    "/statements/{open_slug}/edit": "/statements/{open_slug}/preview",
}


def test_no_page_loads_anything_from_another_host(browser: Browser, site: Site) -> None:
    """Every request the pages make, recorded. The CSP is bypassed so that the test sees
    what a page asks for, not what the CSP lets through; whatever would leave the app is
    recorded and then refused, so nothing reaches the network."""
    requests: list[str] = []
    origin = site.url
    signed_in = sign_in_state(browser, site.server)
    for state, paths in ((None, PUBLIC_PAGES), (signed_in, TEAM_PAGES)):
        context = browser.new_context(bypass_csp=True, storage_state=state)  # type: ignore[arg-type]
        context.on("request", lambda request: requests.append(request.url))
        context.route(lambda url: not url.startswith(origin + "/"), lambda route: route.abort())
        page = context.new_page()
        try:
            for path in paths:
                url = origin + path.format(**vars(site))
                fetched = SCRIPTED_PAGES.get(path)
                if fetched is None:
                    response = page.goto(url)
                else:
                    # Swagger UI and the editor's live preview fetch after the page loads.
                    wanted = origin + fetched.format(**vars(site))

                    def is_wanted(r: Response, wanted: str = wanted) -> bool:
                        return r.url == wanted

                    with page.expect_response(is_wanted) as later:
                        response = page.goto(url)
                    assert later.value.ok, f"{wanted}: {later.value.status}"
                assert response is not None and response.ok, f"{url}: {response}"
        finally:
            context.close()
    elsewhere = sorted({url for url in requests if not _local(url, origin)})
    assert not elsewhere, f"requests that left the app: {elsewhere}"
    # Swagger UI ran, and asked this server for the API description.
    assert f"{origin}/openapi.json" in requests
    assert any("/static/css/app.css" in url for url in requests)


def _local(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    # data:, blob: and about: URLs never reach the network.
    return parts.scheme in ("data", "blob", "about") or parts.netloc == urlsplit(origin).netloc
