"""Reading the values a report writes: numbers in any locale, counts, percentages, dates, durations,
scores on any scale, letter grades, stars and severities."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from reports.markdown import clean, norm
from reports.vocabulary import MONTH_ALT, MONTHS, SEVERITY_ALT, SEVERITY_BY_WORD, SEVERITY_WORD_RE

TEN = Decimal("10")
ONE_DECIMAL = Decimal("0.1")
MAX_COUNT = 2_147_483_647  # the largest value of a PositiveIntegerField column
THOUSANDS = "[ ,.\u202f\u00a0'’]"
NUMBER_RE = re.compile(rf"\d{{1,3}}(?:{THOUSANDS}\d{{3}})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?")


def deaccent(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def to_decimal(text: str) -> Decimal | None:
    """A number written in any locale: "1.234,5", "1,234.5", "1 234", "12,5", "7.5"."""
    text = text.strip().replace("\u202f", " ").replace("\u00a0", " ").replace("’", "'")
    text = re.sub(r"(?<=\d)[ '](?=\d{3}\b)", "", text)
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in text:
        text = text.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text) else text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_count(value: str) -> int | None:
    """A count written with thousands separators, "~", "+", a "k" suffix or a unit word after it:
    "~28,000", "12k", "18.450", "10,324+ lines of source code"."""
    value = clean(value, numbering=False).lower()
    value = re.sub(
        r"^(~|≈|about|approx\.?|environ|around|env\.|ca\.?|circa|etwa|aprox\.?|>|<|>=|<=)\s*", "", value
    )
    m = re.match(
        rf"^(\d{{1,3}}(?:{THOUSANDS}\d{{3}})+|\d+)(?:[.,](\d+))?\s*(k)?\+?(?:\s+[^\d\s]\S*)*\s*$", value
    )
    if not m:
        return None
    number = int(re.sub(r"\D", "", m.group(1)))
    if m.group(3):
        fraction = Decimal(f"0.{m.group(2)}") if m.group(2) else Decimal(0)
        return int((number + fraction) * 1000)
    if m.group(2) and not re.fullmatch(r"\d{3}", m.group(2)):
        return None  # "7.5 files" is not a count
    return number


def parse_percent(value: str) -> Decimal | None:
    m = re.search(r"(\d{1,3}(?:[.,]\d+)?)\s*%", value)
    if not m:
        return None
    number = to_decimal(m.group(1))
    if number is None or number > 100:
        return None
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?![\d/])")
YMD_DATE_RE = re.compile(r"\b(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")
DMY_DATE_RE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
WRITTEN_DATE_RE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:er|st|nd|rd|th|o|º)?\s+(?:\d{{1,2}}\s+)?(?:de\s+)?)?({MONTH_ALT})\.?\s+"
    rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(?:de\s+)?(\d{{4}})\b"
)
YEAR_FIRST_DATE_RE = re.compile(rf"\b(\d{{4}})\s+({MONTH_ALT})\s+(\d{{1,2}})\b")
PLACEHOLDER_RE = re.compile(
    r"\$\(|\$\{|\$[A-Z_]{3,}|`\s*date|\{\{|\}\}|%[YmdF]|\bYYYY\b|\bAAAA\b|\bJJJJ\b|\bDD/MM|\bJJ/MM|"
    r"<date>|\[date\]|\bTBD\b|\bXX+\b|\?\?",
    re.IGNORECASE,
)
NO_DATE_RE = re.compile(r"(not stated|non renseignee|non precisee|unknown|inconnue|n/a|na|none|aucune|-)")
MONTH_ONLY = "day not stated, the 1st of the month is assumed"


def parse_date(value: str) -> tuple[dt.date | None, str]:
    """(date, problem). Month-year dates get the 1st of the month, with a note saying so; an
    impossible date ("2025-02-30") is no date, with a problem saying so, never an exception."""
    text = clean(value, numbering=False)
    plain = norm(value, numbering=False)
    try:
        m = ISO_DATE_RE.search(text)
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
            if day is None:
                return dt.date(year, month, 1), MONTH_ONLY
            return dt.date(year, month, int(day)), ""
        m = YMD_DATE_RE.search(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), ""
        m = DMY_DATE_RE.search(text)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), ""
        m = YEAR_FIRST_DATE_RE.search(plain)  # "2026. február 22." (Hungarian)
        if m:
            return dt.date(int(m.group(1)), MONTHS[m.group(2)], int(m.group(3))), ""
        m = WRITTEN_DATE_RE.search(plain)
        if m:
            month = MONTHS[m.group(2)]
            day = m.group(1) or m.group(3)
            if day is None:
                return dt.date(int(m.group(4)), month, 1), MONTH_ONLY
            return dt.date(int(m.group(4)), month, int(day)), ""
    except ValueError:
        return None, f"'{text}' is not a valid date"
    if PLACEHOLDER_RE.search(value):
        return None, f"the date is a placeholder ('{text}')"
    if NO_DATE_RE.fullmatch(plain):
        return None, "no date stated"
    return None, f"'{text}' is not a date the importer understands"


def parse_duration(value: str) -> float | None:
    text = deaccent(clean(value, numbering=False)).replace(",", ".")
    total, matched = 0.0, False
    for number, unit in re.findall(r"(\d+(?:[.,]\d+)?)\s*(h|min|mn|m|s|sec|secs|seconds|ms)\b", text):
        total += {"h": 3600, "min": 60, "mn": 60, "m": 60, "ms": 0.001}.get(unit, 1) * float(number)
        matched = True
    if matched:
        return total
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?)", text)
    return float(m.group(1).replace(",", ".")) if m else None


def parse_milliseconds(value: str) -> float | None:
    text = deaccent(clean(value, numbering=False)).replace(",", ".")
    m = re.search(r"(\d+(?:[.,]\d+)?)\s*(ms|s|sec|secondes?|seconds?)?\b", text)
    if not m:
        return None
    n = float(m.group(1).replace(",", "."))
    return n * 1000 if m.group(2) and m.group(2) != "ms" else n


# --- scores ---------------------------------------------------------------------------------------

SCALES = {"4", "5", "10", "15", "20", "25", "30", "40", "50", "100"}
SCORE_NUMBER = r"-?\d{1,3}(?:[.,]\d{1,2})?"
SCORE_RE = re.compile(
    rf"(?<![\w.,/])({SCORE_NUMBER})\s*(?:/|\bout of\b|\bsur\b|\bvon\b|\bde\b|\bsu\b|\bvan\b)\s*"
    r"(\d{1,3})(?:[.,]0)?(?![\d.,]*\d)(?![\w/])",
    re.IGNORECASE,
)
BARE_SCORE_RE = re.compile(rf"^\s*({SCORE_NUMBER})\s*(%|/\s*\d{{1,3}}(?:[.,]0)?)?\s*$")
# "Note /20", "Score (out of 5)", "Rating (1-5)" (on `norm` text: "rating 1 5").
HEADER_SCALE_RE = re.compile(
    r"(?:/|\bsur\b|\bout of\b|\bvon\b|\bsu\b|\bde\b|\b[01] (?:to |a |bis |al |tot )?)\s*(\d{1,3})\b"
)
LETTER_RE = re.compile(r"^\s*([A-F][+-]?)\s*$")
STARS_RE = re.compile(r"^\s*([★⭐✭✮☆✩]+)\s*$")
NOT_MEASURED_RE = re.compile(
    r"^\s*(not measured|non mesure|nicht gemessen|no medido|non misurato|nao medido|niet gemeten|"
    r"n/a|na|-|—|non evalue|not rated)\s*$"
)


def parse_score(number: str, scale: str | None) -> Decimal | None:
    """A stated mark brought to the 0–10 scale, one decimal (None when the scale is not one a
    maturity score uses)."""
    value = to_decimal(number)
    if value is None:
        return None
    if scale == "%":
        value = value / TEN
    elif scale:
        denominator = to_decimal(scale)
        if denominator is None or str(int(denominator)) not in SCALES or denominator != int(denominator):
            return None
        value = value * TEN / denominator
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def stars_score(raw: str) -> tuple[Decimal | None, str] | None:
    """ "★★★☆☆" is 3 out of 5."""
    m = STARS_RE.match(raw.replace("\ufe0f", ""))
    if not m:
        return None
    stars = m.group(1)
    filled = sum(1 for c in stars if c in "★⭐✭✮")
    total = len(stars)
    if total < 3 or total > 10:
        return None
    return parse_score(str(filled), str(total)), f"{filled}/{total}"


# --- severities -----------------------------------------------------------------------------------


def severity_in(text: str) -> int | None:
    m = SEVERITY_WORD_RE.search(norm(text, numbering=False))
    return SEVERITY_BY_WORD[m.group(1)] if m else None


SEVERITY_LABEL = (
    r"(?:severity|severite|gravite|criticite|priority|priorite|schweregrad|ernst|severidad|gravedad|"
    r"prioridad|gravita|priorita|severidade|gravidade|prioridade|prioriteit|impact|prioritas|"
    r"keparahan|sulyossag|priorytet)"
)


def item_severity(raw: str) -> int | None:
    """The severity an item states: "[High]", "(critical)", "High: ...", "Severity: high",
    "**KRITISCH:** ...", "(gravità: alta)", "[P0]"."""
    key = deaccent(clean(raw, numbering=False))
    for pattern in (
        rf"^[\[(]?\s*({SEVERITY_ALT})\s*[\])]?\s*(?:[:—–]|-\s)",
        rf"\b{SEVERITY_LABEL}\s*[:=]?\s*\W{{0,3}}\s*({SEVERITY_ALT})\b",
        rf"[\[(]\s*({SEVERITY_ALT})\s*[\])]",
        rf"^[\[(]\s*[\w-]+\s*[\])]\s*[\[(]\s*({SEVERITY_ALT})\s*[\])]",
    ):
        m = re.search(pattern, key)
        if m:
            return SEVERITY_BY_WORD[m.group(1)]
    return None


ACCENTS = {"a": "[aàáâãä]", "e": "[eéèêë]", "i": "[iíìîï]", "o": "[oóòôõö]", "u": "[uúùûü]", "c": "[cç]"}


def loose(pattern: str) -> str:
    """The same words with or without accents ("severite" also matches "sévérité")."""
    return re.sub(r"(?<!\\)[aeiouc]", lambda m: ACCENTS[m.group(0)], pattern)


def strip_severity(title: str) -> str:
    """The title without its severity tag ("[High] x", "x (critical)", "CRITICAL: x")."""
    severity, label = loose(SEVERITY_ALT), loose(SEVERITY_LABEL)
    title = re.sub(rf"^\s*[\[(]?\s*(?:{severity})\s*[\])]?\s*(?:[:—–]|-\s)\s*", "", title, flags=re.I)
    title = re.sub(rf"^\s*[\[(]\s*(?:{severity})\s*[\])]\s*", "", title, flags=re.I)
    title = re.sub(rf"\s*[\[(]\s*(?:{label}\s*[:=]?\s*)?(?:{severity})\s*[\])]", "", title, flags=re.I)
    title = re.sub(rf"\s*[—–-]\s*{label}\s*[:=]\s*\w+\s*$", "", title, flags=re.I)
    return title.strip()
