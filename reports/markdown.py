"""A small line-based reader of the Markdown that audit reports use.

It does not render anything: it cuts a report into blocks (headings, table rows, list items,
checkboxes, paragraph lines, code blocks) and tells, for each block, which headings it sits
under. A code fence is one "code" block: the parser reads it only when it is data (YAML, JSON,
a tree of scores), never as Markdown statements.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
LIST_RE = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
CHECKBOX_RE = re.compile(r"^\[([ xX✓✔])\]\s*(.*)$")
TABLE_SEPARATOR_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
SETEXT_RE = re.compile(r"^(=+|-{2,})\s*$")
RULE_RE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
NUMBERING_RE = re.compile(r"^\s*(?:[A-Z]\.|(?:\d{1,3}\.)+\d{0,3}\)?|\d{1,3}\))\s+")
BOX_RE = re.compile(r"[║│┃╔╗╚╝╠╣╦╩╬┌┐└┘├┤┬┴┼═─━]+")
LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
EMPHASIS_RE = re.compile(r"(\*\*|__|~~|(?<![\w*])\*(?!\s)|(?<!\w)_(?!\s))")


@dataclass
class Heading:
    level: int
    text: str  # cleaned (no emphasis, emoji or numbering)
    raw: str


@dataclass
class Block:
    kind: str  # "heading", "row", "item", "check", "line", "code" (raw: the fenced text, cells: [language])
    raw: str  # the text as written (without the list marker / heading hashes)
    line_no: int
    headings: list[Heading] = field(default_factory=list)  # enclosing headings, outermost first
    level: int = 0  # heading level, or list indentation
    cells: list[str] = field(default_factory=list)  # table rows: raw cells
    header: list[str] = field(default_factory=list)  # table rows: the table's header cells
    checked: bool = False  # checkboxes
    table_id: int = 0


@functools.lru_cache(maxsize=4096)
def is_emoji(char: str) -> bool:
    cp = ord(char)
    return (
        unicodedata.category(char) in ("So", "Sk", "Cs")
        or cp in (0xFE0F, 0xFE0E, 0x200D, 0x20E3)
        or 0x1F000 <= cp <= 0x1FAFF
        or 0x1F3FB <= cp <= 0x1F3FF
    )


def strip_emoji(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in text if not is_emoji(c))


@functools.lru_cache(maxsize=8192)
def clean(text: str, numbering: bool = True) -> str:
    """Plain text of a Markdown fragment: no emphasis, links, code ticks, emoji (and, for
    labels and headings, no leading numbering like "4.1" or "A.")."""
    text = LINK_RE.sub(r"\1", text)
    text = EMPHASIS_RE.sub("", text)
    text = text.replace("`", "")
    text = strip_emoji(text)
    text = re.sub(r"\s+", " ", text).strip()
    if numbering:
        text = NUMBERING_RE.sub("", text)
    return text.strip(" \t-—–:|")


@functools.lru_cache(maxsize=8192)
def norm(text: str, numbering: bool = True) -> str:
    """Lower-case ASCII words, for matching names written in English or French."""
    text = unicodedata.normalize("NFKD", clean(text, numbering))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9/%]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def split_row(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return [c.strip().replace("\\|", "|") for c in cells]


def read_blocks(text: str) -> list[Block]:
    """Cut a report into blocks, each knowing the headings above it."""
    blocks: list[Block] = []
    stack: list[Heading] = []
    in_fence = None
    table_header: list[str] | None = None
    table_id = 0
    lines = text.split("\n")
    skip_next = False
    code: list[str] = []
    code_start, code_lang = 0, ""
    if lines and lines[0].strip() == "---":
        # YAML front matter: data about the page, read like a YAML code block.
        end = next((i for i in range(1, min(len(lines), 40)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            blocks.append(Block("code", "\n".join(lines[1:end]), 1, [], cells=["yaml"]))
            lines = [""] * (end + 1) + lines[end + 1 :]
    for no, line in enumerate(lines, start=1):
        if skip_next:
            skip_next = False
            continue
        fence = FENCE_RE.match(line)
        if in_fence:
            if fence and fence.group(1) == in_fence:
                in_fence = None
                if any(BOX_RE.search(c) for c in code):
                    # A box or tree drawn in text ("║ OVERALL VERDICT ║", "├─ APIs ... 6.0/10") is
                    # a summary laid out by hand: its lines are statements.
                    for offset, text in enumerate(code, start=1):
                        text = BOX_RE.sub(" ", text).strip()
                        if text:
                            blocks.append(Block("line", text, code_start + offset, list(stack)))
                    continue
                blocks.append(Block("code", "\n".join(code), code_start, list(stack), cells=[code_lang]))
            else:
                code.append(line)
            continue
        if fence:
            in_fence = fence.group(1)
            code, code_start = [], no
            code_lang = line.strip()[3:].strip().lower()
            table_header = None
            continue
        stripped = line.strip()
        if not stripped:
            table_header = None
            continue
        if stripped.startswith("|") or (table_header is not None and "|" in stripped):
            if TABLE_SEPARATOR_RE.match(stripped):
                continue
            cells = split_row(stripped)
            if table_header is None:
                # A header row needs a separator row after it; otherwise it is a lone row.
                nxt = lines[no].strip() if no < len(lines) else ""
                if TABLE_SEPARATOR_RE.match(nxt):
                    table_id += 1
                    table_header = cells
                    continue
                table_id += 1
                table_header = []
            blocks.append(
                Block("row", stripped, no, list(stack), cells=cells, header=table_header, table_id=table_id)
            )
            continue
        table_header = None
        if RULE_RE.match(stripped):
            continue
        underline = lines[no].strip() if no < len(lines) else ""
        if (
            SETEXT_RE.match(underline)
            and not LIST_RE.match(line)
            and not (underline.startswith("-") and len(underline) < 3)
        ):
            # Setext heading: "Title" underlined with === (level 1) or --- (level 2).
            level = 1 if underline.startswith("=") else 2
            while stack and stack[-1].level >= level:
                stack.pop()
            blocks.append(Block("heading", stripped, no, list(stack), level=level))
            stack.append(Heading(level, clean(stripped), stripped))
            skip_next = True
            continue
        heading = HEADING_RE.match(stripped)
        if heading:
            level = len(heading.group(1))
            raw = heading.group(2)
            while stack and stack[-1].level >= level:
                stack.pop()
            blocks.append(Block("heading", raw, no, list(stack), level=level))
            stack.append(Heading(level, clean(raw), raw))
            continue
        item = LIST_RE.match(line)
        if item:
            indent = len(item.group(1).expandtabs(4))
            body = item.group(2).strip()
            box = CHECKBOX_RE.match(body)
            if box:
                blocks.append(
                    Block(
                        "check",
                        box.group(2).strip(),
                        no,
                        list(stack),
                        level=indent,
                        checked=box.group(1) != " ",
                    )
                )
            else:
                blocks.append(Block("item", body, no, list(stack), level=indent))
            continue
        if stripped.startswith(">"):
            stripped = stripped.lstrip("> ").strip()
            if not stripped:
                continue
        blocks.append(Block("line", stripped, no, list(stack)))
    return blocks
