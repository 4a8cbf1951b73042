"""Statement text: Markdown in, safe HTML out, and the problems a lead should fix first.

Coalitions running statements are targeted by capable attackers, so safety does not rest on
one layer. Parsing drops every raw HTML tag except plain <sup>, <sub> and <br> and every link
whose scheme is not http, https or mailto; `nh3` then sanitises the rendered HTML against an
explicit allow-list. Validation walks the same parse, so what a lead is told matches exactly
what the renderer removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Final

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import escape
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.superscript import superscript_plugin

from app.core.i18n import get_locale
from app.core.i18n import gettext as _

MAX_CHARS: Final = 100_000

SAFE_SCHEMES: Final = frozenset({"http", "https", "mailto"})

_ALLOWED_TAGS: Final = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "ul", "ol", "li",
        "a", "blockquote", "sup", "sub", "br", "hr", "code", "pre", "table", "thead", "tbody",
        "tr", "th", "td", "section",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES: Final = {
    "a": {"href", "title", "id", "aria-label"},
    "ol": {"start"},
    "li": {"id"},
    "th": {"style"},
    "td": {"style"},
}
# Only the classes the footnote plugin emits, so the page's own CSS cannot be borrowed.
_ALLOWED_CLASSES: Final = {
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
}
_LINK_REL: Final = "noopener noreferrer nofollow"

_RAW_ALLOWED = re.compile(r"<(?P<close>/)?(?P<name>sup|sub|br)\s*/?>", re.IGNORECASE)
_RAW_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_DIGITS = re.compile(r"[0-9][0-9,\s]*")
_SPACES = re.compile(r"[ \t]+")

_PROBLEMS_KEY: Final = "statement_problems"


# --- Parsing policy ------------------------------------------------------------------------


def _allowed_raw_tag(content: str) -> str | None:
    """The canonical form of an allow-listed raw tag (`<sup>`, `</sub>`, `<br>`), else None."""
    match = _RAW_ALLOWED.fullmatch(content.strip())
    if match is None:
        return None
    name = match["name"].lower()
    if name == "br":
        return "<br>"
    return f"</{name}>" if match["close"] else f"<{name}>"


def _link_scheme(url: str) -> str | None:
    match = _SCHEME.match(_URL_IGNORED.sub("", url))
    return match[1].lower() if match else None


def _is_safe_url(url: str) -> bool:
    """Safe to render: a relative link or an allow-listed scheme."""
    scheme = _link_scheme(url)
    return scheme is None or scheme in SAFE_SCHEMES


def _link_problem(url: str) -> str | None:
    """What to show the lead when a link will not work for readers, or None when it is fine."""
    scheme = _link_scheme(url)
    if scheme in SAFE_SCHEMES or (scheme is None and url.startswith("#")):
        return None
    if scheme is not None:
        return f"{scheme}:"
    return url[:40] + ("…" if len(url) > 40 else "")


def _raw_html_problem(content: str) -> tuple[str, str]:
    match = _RAW_TAG_NAME.match(content)
    if match is None:  # a declaration, processing instruction or CDATA section
        snippet = " ".join(content.split())
        return ("html", snippet[:20] + ("…" if len(snippet) > 20 else ""))
    name = match[1].lower()
    if _RAW_ALLOWED.fullmatch(f"<{name}>"):
        return ("html-attributes", f"<{name}>")
    return ("html", f"<{name}>")


def _images_as_links(children: Sequence[Token]) -> Iterator[Token]:
    """Images are not part of a statement; keep their description as a link to them."""
    for token in children:
        if token.type != "image":
            yield token
            continue
        opening = Token("link_open", "a", 1, markup="image")
        opening.attrSet("href", str(token.attrGet("src") or ""))
        title = token.attrGet("title")
        if title:
            opening.attrSet("title", str(title))
        yield opening
        yield from token.children or []
        yield Token("link_close", "a", -1)


def _clean_inline(children: Sequence[Token], problems: list[tuple[str, str]]) -> list[Token]:
    kept: list[Token] = []
    # One entry per open link: (keep its tags, hide its text). Links do not nest in
    # Markdown, but an image description turned into a link can contain one.
    links: list[tuple[bool, bool]] = []
    for token in _images_as_links(children):
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if token.markup == "image":
                problems.append(("image", ""))
            problem = _link_problem(href)
            if problem is not None:
                problems.append(("link", problem))
            safe = _is_safe_url(href)
            # An autolink's text is the unsafe URL itself, so it goes with the link.
            links.append((safe, not safe and token.markup == "autolink"))
            if safe:
                kept.append(token)
            continue
        if token.type == "link_close":
            safe, _hidden = links.pop() if links else (True, False)
            if safe:
                kept.append(token)
            continue
        if any(hidden for _safe, hidden in links):
            continue
        if token.type == "html_inline":
            canonical = _allowed_raw_tag(token.content)
            if canonical is not None:
                token.content = canonical
                kept.append(token)
            elif not token.content.startswith("<!--"):  # comments are dropped silently
                problems.append(_raw_html_problem(token.content))
            continue
        kept.append(token)
    return kept


def _apply_policy(state: StateCore) -> None:
    problems: list[tuple[str, str]] = state.env.setdefault(_PROBLEMS_KEY, [])
    for token in state.tokens:
        if token.type == "inline" and token.children:
            token.children = _clean_inline(token.children, problems)


def _render_footnote_anchor(
    self: RendererProtocol,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """The plugin's back-link, with a name a screen reader can say instead of "↩"."""
    token = tokens[idx]
    number = token.meta["id"] + 1
    ident = str(number)
    if token.meta.get("subId", 0) > 0:
        ident += f":{token.meta['subId']}"
    label = escape(_("Back to reference %(n)s") % {"n": number})
    return (
        f' <a href="#fnref{ident}" class="footnote-backref" aria-label="{label}">\u21a9\ufe0e</a>'
    )


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(superscript_plugin)
    # Raw HTML blocks would reach the output whole; as inline tokens every tag is vetted.
    md.disable("html_block")
    # markdown-it would silently blank unsafe links; let them through to `_apply_policy`,
    # which drops them and records the problem for validation.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.core.ruler.push("statement_policy", _apply_policy)
    md.add_render_rule("footnote_anchor", _render_footnote_anchor)
    return md


_MD: Final = _make_parser()


def parse_markdown(source: str) -> tuple[list[Token], EnvType]:
    """Tokens with raw HTML already reduced to the allowed tags and unsafe links dropped:
    the one parse that every renderer (HTML, PDF, DOCX) starts from."""
    env: EnvType = {}
    return _MD.parse(source, env), env


# --- Public API ----------------------------------------------------------------------------


def render_markdown(source: str) -> str:
    """Safe HTML for a statement written in Markdown.

    Raw HTML other than plain <sup>, <sub> and <br> is dropped, as are links that are not
    http, https or mailto. The output depends on the active locale only for the footnote
    back-links' accessible name. Cached: the public page renders the same text for every
    reader, and parsing plus sanitising a long statement costs milliseconds.
    """
    return _render_cached(source, get_locale())


@lru_cache(maxsize=128)
def _render_cached(source: str, _locale: str) -> str:
    tokens, env = parse_markdown(source)
    html = _MD.renderer.render(tokens, _MD.options, env)
    return nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        filter_style_properties={"text-align"},
        url_schemes=set(SAFE_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
    )


def validate_markdown(source: str, *, max_chars: int = MAX_CHARS) -> list[str]:
    """Problems to show the lead, one message each; an empty list means the text is fine."""
    if len(source) > max_chars:
        # Too long to be worth parsing: say only that.
        return [
            _("This text is too long: %(length)d characters, the limit is %(limit)d.")
            % {"length": len(source), "limit": max_chars}
        ]
    _tokens, env = parse_markdown(source)
    messages: list[str] = []
    for kind, found in dict.fromkeys(env.get(_PROBLEMS_KEY, [])):
        if kind == "html":
            message = _("Raw HTML is not allowed here (found %(tag)s); use Markdown instead.")
            messages.append(message % {"tag": found})
        elif kind == "html-attributes":
            message = _(
                "Only plain <sup>, <sub> and <br> tags are allowed, without attributes "
                "(found %(tag)s with attributes)."
            )
            messages.append(message % {"tag": found})
        elif kind == "link" and found:
            message = _("Links must start with http://, https:// or mailto: (found “%(link)s”).")
            messages.append(message % {"link": found})
        elif kind == "link":
            messages.append(_("Links must start with http://, https:// or mailto:."))
        elif kind == "image":
            messages.append(_("Images are not shown in statements; link to the image instead."))
    return messages


@lru_cache(maxsize=128)
def plain_text(source: str) -> str:
    """The words of a statement without markup: one paragraph per block, blank-line separated.

    Footnote references read "[1]", and footnotes start with their number. A superscript
    made only of digits (`<sup>1</sup>`, `^1^`) is a hand-made footnote marker in real
    statements, so it reads "[1]" too; other superscripts join their word ("79th").
    """
    tokens, _env = parse_markdown(source)
    blocks: list[str] = []
    row: list[str] | None = None
    footnote_prefix = ""
    for token in tokens:
        if token.type == "footnote_open":
            footnote_prefix = f"[{token.meta['id'] + 1}] "
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(" | ".join(row))
            row = None
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if row is not None:
                row.append(text)
            else:
                blocks.append(footnote_prefix + text)
                footnote_prefix = ""
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(block for block in blocks if block.strip())


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    sup_start: int | None = None
    for token in children:
        kind = token.type
        if kind in ("text", "code_inline"):
            parts.append(token.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak" or (kind == "html_inline" and token.content == "<br>"):
            parts.append("\n")
        elif kind == "footnote_ref":
            parts.append(f"[{token.meta['id'] + 1}]")
        elif kind == "sup_open" or (kind == "html_inline" and token.content == "<sup>"):
            sup_start = len(parts)
        elif kind == "sup_close" or (kind == "html_inline" and token.content == "</sup>"):
            if sup_start is not None:
                inner = "".join(parts[sup_start:])
                if _DIGITS.fullmatch(inner):
                    parts[sup_start:] = [f"[{inner.strip()}]"]
            sup_start = None
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)
