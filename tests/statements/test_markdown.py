"""Statement Markdown: faithful rendering of real statements, and nothing typed can run."""

from __future__ import annotations

import re

import pytest

from app.statements.text.markdown import plain_text, render_markdown, validate_markdown
from tests import hrc58 as hrc58_example

HRC58 = hrc58_example.EXAMPLE

RAW_HTML = "Raw HTML is not allowed here"
BAD_LINK = "Links must start with http://, https:// or mailto:"


@pytest.fixture(scope="module")
def hrc58() -> str:
    return HRC58.read_text(encoding="utf-8")


# --- A real statement ----------------------------------------------------------------------


def test_hrc58_title_is_bold_with_its_line_breaks_and_superscripts(hrc58: str) -> None:
    html = render_markdown(hrc58)
    assert html.startswith(
        "<p><strong>Joint statement calling for the incorporation of the key contents of<br>\n"
        "the 79<sup>th</sup> UN General Assembly’s resolution 79/181"
    )
    assert "December 17, 2024<br>\nin the 58<sup>th</sup> Human Rights Council’s draft" in html
    assert "human rights resolution</strong></p>\n<p>March 14, 2025</p>" in html


def test_hrc58_footnote_marker_and_footnote_survive(hrc58: str) -> None:
    html = render_markdown(hrc58)
    assert "must be submitted by March 21, 2025 at 1 pm (Geneva time).<sup>1</sup></p>" in html
    assert "<hr>\n<p><sup>1</sup> Human Rights Council Extranet, 58th session" in html
    url = "https://hrcmeetings.ohchr.org/HRCSessions/RegularSessions/58/Pages/resolutions.aspx"
    assert f'<a href="{url}" rel="noopener noreferrer nofollow">{url}</a>' in html


def test_hrc58_lists_keep_their_numbering_emphasis_and_bold(hrc58: str) -> None:
    html = render_markdown(hrc58)
    assert (
        "<ol>\n<li>North Korea’s forced separation of abductees and their families (PP19)" in html
    )
    assert '<ol start="2">\n<li>North Korea\'s continued failure in its obligation' in html
    assert '<ol start="10">\n<li>Dialogue on and engagement' in html
    assert "<ul>\n<li>PP19 <em>Stressing again with grave concern</em> the urgency" in html
    assert (
        "abductees and their families <strong>as a result of their forced separation</strong>"
        in html
    )
    assert '<li>[see PP25 of GA resolution 79/181: "<em>Stressing</em> the urgency' in html
    assert "<h4>9. North Korea's forced abortions and infanticide" in html
    assert "<strong>political</strong> prison camps" in html
    assert html.rstrip().endswith("<p>Transitional Justice Working Group (TJWG)</p>")


def test_hrc58_is_valid_and_renders_deterministically(hrc58: str) -> None:
    assert validate_markdown(hrc58) == []
    first = render_markdown(hrc58)
    render_markdown("Other[^1]\n\n[^1]: A footnote that must not leak into the next render.")
    assert render_markdown(hrc58) == first
    assert "footnote" not in first


def test_hrc58_plain_text(hrc58: str) -> None:
    text = plain_text(hrc58)
    assert text.startswith(
        "Joint statement calling for the incorporation of the key contents of\n"
        "the 79th UN General Assembly’s resolution 79/181"
    )
    assert "(Geneva time).[1]\n\n" in text
    assert "PP19 Stressing again with grave concern the urgency" in text
    assert "\n\n[1] Human Rights Council Extranet, 58th session" in text  # a hand-made footnote
    assert "<" not in text.replace("<https", "")
    assert "**" not in text and "*Stressing" not in text
    assert text.endswith("Transitional Justice Working Group (TJWG)")


# --- Markdown features ---------------------------------------------------------------------


def test_nested_lists_headings_emphasis_and_links() -> None:
    source = (
        "## Demands\n\n"
        "1. First *point*\n"
        "   - sub **point**\n"
        "     - deeper\n"
        '2. Second, see [the report](https://example.org/report "Report")\n\n'
        "> Quoted\n"
    )
    assert render_markdown(source) == (
        "<h2>Demands</h2>\n"
        "<ol>\n<li>First <em>point</em>\n"
        "<ul>\n<li>sub <strong>point</strong>\n"
        "<ul>\n<li>deeper</li>\n</ul>\n</li>\n</ul>\n</li>\n"
        '<li>Second, see <a href="https://example.org/report" title="Report"'
        ' rel="noopener noreferrer nofollow">the report</a></li>\n</ol>\n'
        "<blockquote>\n<p>Quoted</p>\n</blockquote>\n"
    )


def test_superscript_both_ways_and_allowed_raw_tags() -> None:
    html = render_markdown("the 79^th^ session, H<SUB>2</SUB>O, 58<sup>th</sup>, a<br/>b")
    assert html == "<p>the 79<sup>th</sup> session, H<sub>2</sub>O, 58<sup>th</sup>, a<br>b</p>\n"
    assert validate_markdown("79^th^ <sup>th</sup> <sub>2</sub> <br> <br/> <br />") == []


def test_two_trailing_spaces_make_a_line_break() -> None:
    assert render_markdown("of  \nthe") == "<p>of<br>\nthe</p>\n"


def test_strikethrough_and_tables() -> None:
    html = render_markdown("~~old~~ new\n\n| Org | Country |\n|:--|--:|\n| A | B |\n")
    assert "<p><s>old</s> new</p>" in html
    assert '<th style="text-align:left">Org</th>' in html
    assert '<td style="text-align:right">B</td>' in html


def test_footnotes_render_a_section_with_working_anchors() -> None:
    html = render_markdown("Text[^1] and more.[^note]\n\n[^1]: Note.\n[^note]: Second *note*.")
    assert (
        '<p>Text<sup class="footnote-ref"><a href="#fn1" id="fnref1"'
        ' rel="noopener noreferrer nofollow">[1]</a></sup>'
    ) in html
    assert (
        '<hr class="footnotes-sep">\n<section class="footnotes">\n<ol class="footnotes-list">'
        in (html)
    )
    assert '<li id="fn1" class="footnote-item"><p>Note. <a href="#fnref1"' in html
    assert 'class="footnote-backref" aria-label="Back to reference 1"' in html
    assert '<li id="fn2" class="footnote-item"><p>Second <em>note</em>.' in html
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    targets = re.findall(r'href="#([^"]+)"', html)
    assert sorted(targets) == ["fn1", "fn2", "fnref1", "fnref2"]
    assert set(targets) <= ids
    assert plain_text("Text[^1]\n\n[^1]: Note.") == "Text[1]\n\n[1] Note."


def test_entities_and_code_show_markup_as_text() -> None:
    html = render_markdown("&lt;script&gt;alert(1)&lt;/script&gt; and `<script>`")
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; and <code>&lt;script&gt;</code></p>\n"
    )
    assert validate_markdown("&lt;b&gt; and `<script>` and\n\n    <iframe>\n") == []


# --- Nothing typed can run -----------------------------------------------------------------

FORBIDDEN = ("<script", "onerror", "onload", "onmouseover", "javascript:", "vbscript:", "data:",
             "<iframe", "<svg", "<img", "<style", "<object")  # fmt: skip

ATTACKS = [
    ("<script>alert(1)</script>", f"{RAW_HTML} (found <script>); use Markdown instead"),
    ("<img src=x onerror=alert(1)>", f"{RAW_HTML} (found <img>)"),
    ("<img\nsrc=x\nonerror=alert(1)>", f"{RAW_HTML} (found <img>)"),
    ("[x](javascript:alert(1))", BAD_LINK),
    ("[x](JavaScript:alert(1))", BAD_LINK),
    ('<a href="javascript:alert(1)">x</a>', f"{RAW_HTML} (found <a>)"),
    ('<iframe src="https://evil.example/"></iframe>', f"{RAW_HTML} (found <iframe>)"),
    ("<svg onload=alert(1)>", f"{RAW_HTML} (found <svg>)"),
    ("<svg><script>alert(1)</script></svg>", f"{RAW_HTML} (found <svg>)"),
    ("[x](&#106;avascript:alert(1))", BAD_LINK),
    ("[x](&#x6A;avascript&#x3A;alert(1))", BAD_LINK),
    ("<javascript:alert(1)>", BAD_LINK),
    ("[x](vbscript:msgbox(1))", BAD_LINK),
    ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", BAD_LINK),
    ("![x](javascript:alert(1))", BAD_LINK),
    ("[x]: javascript:alert(1)\n\n[click][x]", BAD_LINK),
    ("<sup onmouseover=alert(1)>1</sup>", "Only plain <sup>, <sub> and <br> tags"),
    ("<style>body{display:none}</style>", f"{RAW_HTML} (found <style>)"),
    ("<object data=x></object>", f"{RAW_HTML} (found <object>)"),
    ("# <script>alert(1)</script>", f"{RAW_HTML} (found <script>)"),
    ("| a |\n|---|\n| <img src=x onerror=alert(1)> |", f"{RAW_HTML} (found <img>)"),
    ("> - *<svg onload=alert(1)>*", f"{RAW_HTML} (found <svg>)"),
    ("x[^1]\n\n[^1]: [y](javascript:alert(1))", BAD_LINK),
    ("x^[inline <img src=x onerror=alert(1)>]", f"{RAW_HTML} (found <img>)"),
]


@pytest.mark.parametrize(("source", "message"), ATTACKS)
def test_attacks_are_neutralised_and_reported(source: str, message: str) -> None:
    html = render_markdown(source).lower()
    for needle in FORBIDDEN:
        assert needle not in html, (source, html)
    problems = validate_markdown(source)
    assert any(message in problem for problem in problems), problems


def test_unsafe_link_keeps_its_text_but_not_the_link() -> None:
    assert render_markdown("[read this](javascript:alert(1))") == "<p>read this</p>\n"


def test_links_are_marked_nofollow() -> None:
    html = render_markdown("[a](https://example.org) <mailto:x@example.org> <x@example.org>")
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">a</a>' in html
    assert html.count('href="mailto:x@example.org"') == 2


# --- Validation messages -------------------------------------------------------------------


def test_validation_names_the_tag_once_and_in_order() -> None:
    problems = validate_markdown("<script>a</script> <iframe></iframe> <script>b</script>")
    assert problems == [
        "Raw HTML is not allowed here (found <script>); use Markdown instead.",
        "Raw HTML is not allowed here (found <iframe>); use Markdown instead.",
    ]


def test_validation_names_the_bad_link() -> None:
    assert validate_markdown("[a](javascript:alert(1))") == [
        "Links must start with http://, https:// or mailto: (found “javascript:”)."
    ]
    assert validate_markdown("[site](www.example.org)") == [
        "Links must start with http://, https:// or mailto: (found “www.example.org”)."
    ]


def test_validation_accepts_ordinary_links_and_comments() -> None:
    source = "[a](https://x.org) [b](http://x.org) [c](mailto:a@x.org) [d](#fn1) <!-- note -->"
    assert validate_markdown(source) == []
    assert "note" not in render_markdown(source)


def test_images_are_reported_and_shown_as_links() -> None:
    assert validate_markdown("![Logo](https://example.org/logo.png)") == [
        "Images are not shown in statements; link to the image instead."
    ]
    assert render_markdown("![Logo](https://example.org/logo.png)") == (
        '<p><a href="https://example.org/logo.png" rel="noopener noreferrer nofollow">'
        "Logo</a></p>\n"
    )


def test_too_long() -> None:
    assert validate_markdown("x" * 10, max_chars=10) == []
    assert validate_markdown("<script>" + "x" * 10, max_chars=10) == [
        "This text is too long: 18 characters, the limit is 10."
    ]


def test_plain_text_drops_markup() -> None:
    source = (
        "# Title\n\nSome **bold** and *italic*, a [link](https://x.org), `code`,\n"
        "wrapped.\n\n- one\n- two"
    )
    assert plain_text(source) == (
        "Title\n\nSome bold and italic, a link, code, wrapped.\n\none\n\ntwo"
    )
    assert plain_text("10^6^ people and 79<sup>th</sup>") == "10[6] people and 79th"
