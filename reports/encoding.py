"""Bytes of a report to clean text, repairing UTF-8 that was read through a wrong encoding.

Reports copied between machines often went through a wrong decoding once: UTF-8 bytes read as
Mac Roman ("s√©curit√©", "‚úÖ") or as Windows-1252 ("sÃ©curitÃ©", "âœ…") and saved again as
UTF-8. The repair first tries a whole-text round trip (encode with the wrong encoding, decode
as UTF-8), which restores every character exactly when the whole file went through the same
mistake; then the same round trip line by line (files where only pasted parts are garbled);
then ftfy for what is left. A round trip is kept only when it makes the text less garbled by
ftfy's own measure, so clean text is never touched.
"""

from __future__ import annotations

import codecs
import re

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)
from ftfy.badness import badness

from reports.errors import ReportError

# The wrong decodings we undo, most specific first.
WRONG_ENCODINGS = (("mac_roman", "Mac Roman"), ("sloppy-windows-1252", "Windows-1252"))
FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    explain=False,
)


def _round_trip(text: str, encoding: str) -> str | None:
    try:
        return text.encode(encoding).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def repair_text(text: str) -> tuple[str, list[str]]:
    """Undo mojibake; returns the repaired text and notes describing what was repaired."""
    notes: list[str] = []
    if not text or text.isascii():
        return text, notes
    current = badness(text)
    if current == 0:
        return text, notes
    for encoding, label in WRONG_ENCODINGS:
        candidate = _round_trip(text, encoding)
        if candidate is not None and badness(candidate) < current:
            notes.append(f"Repaired the encoding: the report was UTF-8 read as {label}.")
            return candidate, notes
    # Mixed files: repair line by line where a round trip makes a line less garbled.
    lines = text.split("\n")
    repaired = 0
    for i, line in enumerate(lines):
        line_bad = badness(line)
        if not line_bad:
            continue
        for encoding, _label in WRONG_ENCODINGS:
            candidate = _round_trip(line, encoding)
            if candidate is not None and badness(candidate) < line_bad:
                lines[i] = candidate
                repaired += 1
                break
    if repaired:
        text = "\n".join(lines)
        notes.append(f"Repaired the encoding of {repaired} line(s) (UTF-8 read through a wrong encoding).")
    if badness(text):
        fixed = ftfy.fix_text(text, FTFY_CONFIG)
        if fixed != text:
            text = fixed
            notes.append("Repaired garbled characters (ftfy).")
    return text, notes


def _mixed_bytes(error: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: a surrogate written as UTF-8 (CESU-8, "\\xed\\xa0\\xbd") is kept as
    that surrogate (paired up later); any other invalid byte is read as Windows-1252, so a file
    mixing UTF-8 and Latin-1 lines keeps both."""
    if not isinstance(error, UnicodeDecodeError):
        raise error  # registered for decoding only
    data, start = error.object, error.start
    chunk = data[start : start + 3]
    if len(chunk) == 3 and chunk[0] == 0xED and 0xA0 <= chunk[1] <= 0xBF and 0x80 <= chunk[2] <= 0xBF:
        return chunk.decode("utf-8", "surrogatepass"), start + 3
    return bytes(data[start : start + 1]).decode("cp1252", "replace"), start + 1


codecs.register_error("auditor_mixed_bytes", _mixed_bytes)
SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(text: str) -> tuple[str, int]:
    """Pairs of surrogates become the character they encode; a lone one is dropped."""
    if not SURROGATE_RE.search(text):
        return text, 0
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    lone = paired.count("\ufffd") - text.count("\ufffd")
    return paired.replace("\ufffd", "") if lone else paired, max(lone, 0)


def decode_report(content: bytes) -> tuple[str, list[str]]:
    """Decode a report file to text (newlines normalised) and repair its encoding."""
    notes: list[str] = []
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = content.decode("utf-16", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise ReportError("The file starts like UTF-16 text but cannot be decoded as such.") from exc
    else:
        nul = content.count(b"\x00")
        if nul * 100 > len(content):  # a few stray NULs are damage; more is a binary file
            raise ReportError("The file is binary (it contains NUL bytes), not a Markdown report.")
        if nul:
            content = content.replace(b"\x00", b"")
            notes.append(f"Removed {nul} NUL byte(s) from the file.")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.removeprefix(codecs.BOM_UTF8).decode("utf-8", "auditor_mixed_bytes")
            if text == content.decode("sloppy-windows-1252"):
                notes.append("The file is not UTF-8; it was read as Windows-1252.")
            else:
                notes.append(
                    "The file is not valid UTF-8 throughout; its invalid bytes were read as Windows-1252."
                )
    text, lone = _without_lone_surrogates(text)
    if lone:
        notes.append(f"Removed {lone} lone surrogate character(s).")
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    text, repair_notes = repair_text(text)
    return text, notes + repair_notes
