"""One-off: move modules to their new packages and rewrite every reference to them.

    python scripts/move_modules.py MAPPING_FILE

MAPPING_FILE holds lines "old/path.py new/path.py". Imports are rewritten from the syntax
tree (so `from app.x import module` becomes `from app.y import module`), and dotted or
slashed paths in code, docs and config are rewritten as text in one pass.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "\x00NEW\x00"
SUFFIXES = {".py", ".md", ".toml", ".ini", ".cfg", ".mako", ".yaml", ".html", ".txt", ".typ"}
NAMES = {"Makefile", "Dockerfile"}
SKIP = (".venv", ".git", "node_modules", ".tools", "data", "app/locale")


def _dotted(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _rewrite_imports(source: str, moves: dict[str, str]) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if not (node.module == "app" or node.module.startswith("app.")):
            continue
        if not any(f"{node.module}.{a.name}" in moves for a in node.names):
            continue
        indent = " " * node.col_offset
        out = []
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            if full in moves:
                parent, name = moves[full].rsplit(".", 1)
                asname = alias.asname or alias.name
                suffix = f" as {asname}" if asname != name else ""
                out.append(f"{indent}from {MARK}{parent} import {name}{suffix}\n")
            else:
                suffix = f" as {alias.asname}" if alias.asname else ""
                out.append(f"{indent}from {node.module} import {alias.name}{suffix}\n")
        assert node.end_lineno is not None
        edits.append((node.lineno - 1, node.end_lineno, out))
    for start, end, out in sorted(edits, reverse=True):
        lines[start:end] = out
    return "".join(lines)


def main() -> None:
    pairs = [line.split() for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    moves = {_dotted(old): _dotted(new) for old, new in pairs if old.endswith(".py")}
    slashed = {old: new for old, new in pairs}
    for old, new in pairs:
        dest = ROOT / new
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", old, new], cwd=ROOT, check=True)
        package = dest.parent
        while package != ROOT / "app" and package.is_relative_to(ROOT / "app"):
            init = package / "__init__.py"
            if not init.exists():
                init.write_text("")
                subprocess.run(["git", "add", str(init)], cwd=ROOT, check=True)
            package = package.parent

    keys = sorted(moves, key=len, reverse=True)
    dotted_re = re.compile(r"(?<![\w.\x00])(" + "|".join(map(re.escape, keys)) + r")(?![\w])")
    skeys = sorted(slashed, key=len, reverse=True)
    slashed_re = re.compile(r"(?<![\w/])(" + "|".join(map(re.escape, skeys)) + r")(?![\w])")

    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT).as_posix()
        if not path.is_file() or rel.startswith(SKIP) or rel == "scripts/move_modules.py":
            continue
        if path.suffix not in SUFFIXES and path.name not in NAMES:
            continue
        text = path.read_text(encoding="utf-8")
        new = _rewrite_imports(text, moves) if path.suffix == ".py" else text
        new = dotted_re.sub(lambda m: moves[m.group(1)], new)
        new = slashed_re.sub(lambda m: slashed[m.group(1)], new)
        new = new.replace(MARK, "")
        if new != text:
            path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
