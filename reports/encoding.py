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


def decode_report(content: bytes) -> tuple[str, list[str]]:
    """Decode a report file to text (newlines normalised) and repair its encoding."""
    notes: list[str] = []
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReportError("The file starts like UTF-16 text but cannot be decoded as such.") from exc
    else:
        if b"\x00" in content:
            raise ReportError("The file is binary (it contains NUL bytes), not a Markdown report.")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("sloppy-windows-1252")
            notes.append("The file is not UTF-8; it was read as Windows-1252.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, repair_notes = repair_text(text)
    return text, notes + repair_notes
