"""The statement's Markdown as a tree of plain data (nested dicts, lists and strings) for
the Typst template (app/lists/renderers/pdf.py): nothing a person typed becomes Typst markup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from markdown_it.token import Token

from app.statements.text import markdown as statement_markdown

Node = str | dict[str, Any] | list[Any]

_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")

_INLINE_PAIRS: Final = {"strong": "b", "em": "i", "s": "s", "sup": "sup", "sub": "sub"}
_HTML_TAGS: Final = {"<sup>": "sup", "<sub>": "sub"}
_BLOCKS_WITHOUT_NODE: Final = frozenset({"thead", "tbody", "footnote_block"})
_BLOCK_KINDS: Final = {"paragraph_open": "p", "blockquote_open": "quote"}


def markdown_tree(source: str) -> tuple[list[Node], list[list[Node]]]:
    """The statement as (blocks, footnotes): nested dicts and strings, never markup.

    Uses the statement parser's policy, so raw HTML other than <sup>, <sub> and <br> and
    links other than http, https and mailto are gone here exactly as on the web page.
    """
    tokens, _env = statement_markdown.parse_markdown(source)
    body: list[Node] = []
    notes: list[list[Node]] = []
    stack: list[list[Node]] = [body]
    lists: list[dict[str, Any]] = []
    table: dict[str, Any] | None = None
    in_head = in_note = False
    for token in tokens:
        kind = token.type
        if kind == "inline":
            stack[-1].extend(_inline(token.children or [], in_note=in_note))
        elif kind == "paragraph_open" and token.hidden:
            if lists:
                lists[-1]["tight"] = True
            stack.append(stack[-1])  # a tight list item holds its text directly
        elif kind in ("bullet_list_open", "ordered_list_open"):
            node = {"t": "ul", "tight": False, "c": []}
            if kind == "ordered_list_open":
                node.update(t="ol", start=int(str(token.attrGet("start") or 1)))
            lists.append(node)
            _push(stack, node)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            stack.pop()
        elif kind == "footnote_open":
            note_id = int(token.meta["id"])
            notes.extend([] for _ in range(note_id + 1 - len(notes)))
            stack.append(notes[note_id])
            in_note = True
        elif kind == "footnote_close":
            stack.pop()
            in_note = False
        elif kind == "table_open":
            table = {"t": "table", "cols": 0, "align": [], "c": []}
            _push(stack, table)
        elif kind in ("thead_open", "thead_close"):
            in_head = kind == "thead_open"
        elif kind == "tr_open":
            row: dict[str, Any] = {"h": in_head, "c": []}
            stack[-1].append(row)
            stack.append(row["c"])
        elif kind in ("th_open", "td_open"):
            cell: list[Node] = []
            if table is not None and not table["c"][1:]:  # the first row sets the alignment
                table["cols"] += 1
                table["align"].append(str(token.attrGet("style") or "").partition(":")[2])
            stack[-1].append(cell)
            stack.append(cell)
        elif kind == "hr":
            stack[-1].append({"t": "hr"})
        elif kind in ("code_block", "fence"):
            stack[-1].append({"t": "pre", "s": token.content.rstrip("\n")})
        elif kind == "heading_open":
            _push(stack, {"t": "h", "l": min(int(token.tag[1:] or 1), 6), "c": []})
        elif kind.endswith("_open") and kind[:-5] not in _BLOCKS_WITHOUT_NODE:
            # Anything else (list items, footnotes, whatever comes next) is just its content.
            _push(stack, {"t": _BLOCK_KINDS.get(kind, "g"), "c": []})
        elif kind.endswith("_close") and kind[:-6] not in _BLOCKS_WITHOUT_NODE and len(stack) > 1:
            stack.pop()
    return body, notes


def _push(stack: list[list[Node]], node: dict[str, Any]) -> None:
    stack[-1].append(node)
    stack.append(node["c"])


def _inline(children: Sequence[Token], *, in_note: bool) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[str, list[Node]]] = [("", root)]

    def add(node: Node) -> None:
        out = stack[-1][1]
        if isinstance(node, str) and out and isinstance(out[-1], str):
            out[-1] += node  # adjacent text joins, which keeps the JSON small
        elif node != "":
            out.append(node)

    def open_(kind: str, **extra: Any) -> None:
        node: dict[str, Any] = {"t": kind, **extra, "c": []}
        add(node)
        stack.append((kind, node["c"]))

    def close(kind: str) -> None:
        if any(open_kind == kind for open_kind, _ in stack[1:]):
            while stack[-1][0] != kind:
                stack.pop()
            stack.pop()

    for token in children:
        kind, base = token.type, token.type.rsplit("_", 1)[0]
        if kind == "text":
            add(token.content)
        elif kind == "softbreak":
            add(" ")
        elif kind == "hardbreak" or (kind == "html_inline" and token.content == "<br>"):
            add({"t": "br"})
        elif kind == "code_inline":
            add({"t": "code", "s": token.content})
        elif kind == "html_inline" and token.content in _HTML_TAGS:
            open_(_HTML_TAGS[token.content])
        elif kind == "html_inline" and token.content.startswith("</"):
            close(_HTML_TAGS.get(token.content.replace("/", ""), ""))
        elif kind == "link_open":
            href = str(token.attrGet("href") or "")
            if href.lower().startswith(_LINK_SCHEMES):
                open_("a", u=href)
            else:  # a relative or fragment link means nothing on paper: keep its words
                open_("g")
        elif kind == "link_close":
            close(stack[-1][0] if stack[-1][0] in ("a", "g") else "a")
        elif kind == "footnote_ref":
            number = int(token.meta["id"])
            if in_note:  # a footnote citing a footnote: its number, not a nested note
                add(f"[{number + 1}]")
            else:
                add({"t": "fn", "n": number, "first": token.meta.get("subId", 0) == 0})
        elif kind.endswith("_open") and base in _INLINE_PAIRS:
            open_(_INLINE_PAIRS[base])
        elif kind.endswith("_close") and base in _INLINE_PAIRS:
            close(_INLINE_PAIRS[base])
    return root
