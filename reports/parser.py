"""What a hand-written audit report states, read with general rules rather than one file's shape.

- Key/value statements ("**Date:** ...", "Statut : ...", "### Status: ...", two-cell table rows)
  give the project, date, version, verdict and metrics.
- A score is a number followed by "/10" or "/100" (or a number in a table column headed
  "Score" / "Note"); its label (the text before it, or the row's first cell) is mapped to a
  maturity domain through the domain's name and aliases; "global", "overall", "total" labels are
  the stated global score.
- Every "- [x]" / "- [ ]" is a checklist item: one checklist per report section (the top heading
  level used more than once), the nearest sub-heading as the item's section.
- Findings are the list items (and table rows) under headings or bold labels that name
  problems, errors, vulnerabilities or findings, English or French, with the severity the item or
  a heading above it states.
What cannot be mapped becomes a warning; nothing here raises on a strange report except
`ReportError` when the text is not a report at all.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from reports.errors import ReportError
from reports.markdown import Block, clean, norm, read_blocks

TEN = Decimal("10")
ONE_DECIMAL = Decimal("0.1")
INCONSISTENCY_TOLERANCE = Decimal("0.1")
MAX_COUNT = 2_147_483_647  # the largest value of a PositiveIntegerField column

# --- vocabularies (matched on `norm`: lower case, no accents) -------------------------------------

DATE_KEYS = {
    "date",
    "audit date",
    "date of audit",
    "date of the audit",
    "report date",
    "date du rapport",
    "date de l audit",
    "date d audit",
    "date de revue",
    "date de la revue",
    "review date",
    "generated",
    "generated on",
    "genere le",
    "redige le",
    "written on",
    "audited on",
    "audite le",
}
PROJECT_KEYS = {
    "project",
    "projet",
    "project name",
    "nom du projet",
    "application",
    "product",
    "produit",
    "projet audite",
    "audited project",
}
VERSION_KEYS = {"version", "release", "version auditee", "audited version", "tag", "version du code"}
VERDICT_KEYS = {
    "status",
    "statut",
    "verdict",
    "decision",
    "conclusion",
    "readiness",
    "production readiness",
    "avis",
    "go/no go",
    "go no go",
    "statut global",
    "overall status",
    "global status",
    "final verdict",
    "verdict final",
    "stated verdict",
    "verdict annonce",
    "etat global",
    "result",
    "resultat",
    "outcome",
    "overall result",
    "resultat global",
    "go/no-go",
}
MONTHS = {
    "january": 1,
    "jan": 1,
    "janvier": 1,
    "janv": 1,
    "february": 2,
    "feb": 2,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "march": 3,
    "mar": 3,
    "mars": 3,
    "april": 4,
    "apr": 4,
    "avril": 4,
    "avr": 4,
    "may": 5,
    "mai": 5,
    "june": 6,
    "jun": 6,
    "juin": 6,
    "july": 7,
    "jul": 7,
    "juillet": 7,
    "juil": 7,
    "august": 8,
    "aug": 8,
    "aout": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "septembre": 9,
    "october": 10,
    "oct": 10,
    "octobre": 10,
    "november": 11,
    "nov": 11,
    "novembre": 11,
    "december": 12,
    "dec": 12,
    "decembre": 12,
}
MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b")
YMD_DATE_RE = re.compile(r"\b(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")
DMY_DATE_RE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
WRITTEN_DATE_RE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:er|st|nd|rd|th)?\s+)?({MONTH_ALT})\.?\s+(?:(\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(\d{{4}})\b"
)
PLACEHOLDER_RE = re.compile(
    r"\$\(|\$\{|\$[A-Z_]{3,}|`\s*date|\{\{|\}\}|%[YmdF]|\bYYYY\b|\bAAAA\b|\bDD/MM|\bJJ/MM|<date>|"
    r"\[date\]|\bTBD\b|\bXX+\b|\?\?",
    re.IGNORECASE,
)

SEVERITY_WORDS = {
    4: ("critical", "critique", "critiques", "blocker", "bloquant", "bloquante", "blocking"),
    3: (
        "high",
        "haute",
        "hautes",
        "eleve",
        "elevee",
        "elevees",
        "major",
        "majeur",
        "majeure",
        "majeurs",
        "severe",
    ),
    2: ("medium", "moyen", "moyenne", "moyennes", "moderate", "modere", "moderee"),
    1: ("low", "faible", "faibles", "basse", "minor", "mineur", "mineure", "mineurs"),
    0: ("info", "informational", "information", "informative"),
}
SEVERITY_BY_WORD = {w: level for level, words in SEVERITY_WORDS.items() for w in words}
SEVERITY_ALT = "|".join(sorted(SEVERITY_BY_WORD, key=len, reverse=True))
SEVERITY_WORD_RE = re.compile(rf"\b({SEVERITY_ALT})\b")
SEVERITY_LABELS = {4: "Critical", 3: "High", 2: "Medium", 1: "Low", 0: "Info"}

PROBLEM_RE = re.compile(
    r"\b(problems?|issues?|errors?|vulnerabilit(?:y|ies)|vulns?|findings?|bugs?|weakness(?:es)?|"
    r"flaws?|defects?|risks?|problemes?|erreurs?|vulnerabilites?|failles?|defauts?|anomalies?|"
    r"constats?|faiblesses?|risques?|points? faibles?|dysfonctionnements?)\b"
)
GOOD_RE = re.compile(
    r"\b(bonnes? pratiques?|good practices?|best practices? (?:in place|already)|strengths?|"
    r"points? forts?|what works|acquis|positives?|deja en place|already in place)\b"
)
GLOBAL_RE = re.compile(
    r"\b(global|globale|overall|total|moyenne|average|general|generale|final|finale|synthese|"
    r"aggregate)\b"
)
GENERIC_SCORE_LABELS = {
    "score",
    "note",
    "rating",
    "notation",
    "maturity",
    "maturite",
    "maturity score",
    "score de maturite",
    "evaluation",
    "niveau",
    "level",
}
SCORE_HEADER_RE = re.compile(r"\b(score|note|rating|notation|maturite|maturity)\b|/(?:10|100|20)\b")
SCORE_RE = re.compile(
    r"(?<![\w.,/])(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:/|\bout of\b|\bsur\b)\s*(100|20|10)(?![\d.,]*\d)(?!\w)",
    re.IGNORECASE,
)
BARE_SCORE_RE = re.compile(r"^\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*(%|/\s*(?:100|20|10|5))?\s*$")
HEADER_SCALE_RE = re.compile(r"(?:/|\bsur\b|\bout of\b)\s*(100|20|10|5)\b")
NOT_MEASURED_RE = re.compile(r"^\s*(not measured|non mesure|n/a|na|-|—|non evalue|not rated)\s*$")

FIXED_RE = re.compile(r"\b(fixed|resolved|corrige|corrigee|corriges|resolu|resolue|closed|ferme)\b")
STATUS_WORDS = {
    "open": "open",
    "ouvert": "open",
    "ouverte": "open",
    "todo": "open",
    "a corriger": "open",
    "fixed": "fixed",
    "resolved": "fixed",
    "corrige": "fixed",
    "corrigee": "fixed",
    "resolu": "fixed",
    "resolue": "fixed",
    "closed": "fixed",
    "ferme": "fixed",
    "in progress": "in_progress",
    "en cours": "in_progress",
    "accepted risk": "accepted_risk",
    "risque accepte": "accepted_risk",
    "accepted": "accepted_risk",
    "false positive": "false_positive",
    "faux positif": "false_positive",
}
KNOWN_EXTENSIONS = (
    "py|pyi|js|mjs|cjs|ts|tsx|jsx|java|kt|go|rb|php|cs|c|h|cc|cpp|hpp|rs|swift|scala|sql|yml|yaml|"
    "json|toml|ini|cfg|conf|env|html|htm|css|scss|sh|bash|tf|xml|md|txt|lock|gradle|vue|svelte|"
    "dockerfile|properties"
)
PATH_RE = re.compile(
    rf"(?<![\w/.-])((?:[\w.-]+/)+[\w.-]+|[\w-][\w.-]*\.(?:{KNOWN_EXTENSIONS}))(?::(\d+))?(?![\w/])",
    re.IGNORECASE,
)
LINE_RE = re.compile(r"\b(?:line|ligne|l\.)\s*(\d+)\b", re.IGNORECASE)
NA_SUFFIX_RE = re.compile(
    r"\s+[—–-]\s+(?:not applicable|n/a|non applicable|sans objet)\s*:?\s*(.*)$", re.IGNORECASE
)
CHECKLIST_PREFIX_RE = re.compile(r"^(?:checklist|check-list|liste de contr[oô]le)\s*[:—–-]\s*", re.IGNORECASE)
SUMMARY_HEADINGS = {
    "summary",
    "executive summary",
    "synthese",
    "resume",
    "resume executif",
    "synthese executive",
    "overview",
    "vue d ensemble",
    "management summary",
}
CONCLUSION_HEADINGS = {"conclusion", "conclusions", "verdict", "en resume", "bilan"}
KV_RE = re.compile(r"^([^:：]{1,60}?)\s*[:：]\s*(.*)$")


@dataclass
class ParsedScore:
    domain_id: int
    domain_name: str
    score: Decimal | None
    label: str
    stated: str


@dataclass
class ParsedItem:
    text: str
    state: str  # "done", "todo", "na"
    section: str
    note: str = ""


@dataclass
class ParsedChecklist:
    title: str
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedFinding:
    title: str
    severity: int
    status: str = "open"
    file_path: str = ""
    line: int | None = None
    description: str = ""
    section: str = ""


@dataclass
class ParsedReport:
    title: str = ""
    project_name: str = ""
    audit_date: dt.date | None = None
    version: str = ""
    verdict: str = "unknown"
    verdict_text: str = ""
    already_in_production: bool = False
    verdict_stated: bool = False  # a labelled verdict was read (even "Unknown")
    metrics: dict = field(default_factory=dict)
    extra_metrics: dict = field(default_factory=dict)
    scores: dict[int, ParsedScore] = field(default_factory=dict)
    stated_global: Decimal | None = None
    weighted_mean: Decimal | None = None
    inconsistency: dict | None = None
    checklists: list[ParsedChecklist] = field(default_factory=list)
    findings: list[ParsedFinding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def checklist_item_count(self) -> int:
        return sum(len(c.items) for c in self.checklists)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


# --- domains -----------------------------------------------------------------------------------


def singular(key: str) -> str:
    """ "performances" and "performance", "tests" and "test" are the same name."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in key.split())


class DomainIndex:
    """Maps the names reports use to maturity domains (name, slug and aliases, any language)."""

    def __init__(self, domains):
        self.domains = {d.pk: d for d in domains}
        self.exact: dict[str, object] = {}
        for d in domains:
            for name in [d.name, d.slug.replace("-", " "), *(d.aliases or [])]:
                key = norm(str(name))
                if key:
                    self.exact.setdefault(key, d)
        for key, d in list(self.exact.items()):
            self.exact.setdefault(singular(key), d)
        self.by_length = sorted(self.exact.items(), key=lambda kv: len(kv[0]), reverse=True)

    def match(self, label: str, exact_only: bool = False):
        key = norm(label)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        if singular(key) in self.exact:
            return self.exact[singular(key)]
        if exact_only:
            return None
        for alias, domain in self.by_length:
            if len(alias) >= 3 and re.search(rf"\b{re.escape(alias)}\b", key):
                return domain
        return None


# --- small value parsers -------------------------------------------------------------------------


def to_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def parse_count(value: str) -> int | None:
    """A count written with thousands separators, "~", "+" or a "k" suffix: "~28,000", "12k"."""
    value = clean(value, numbering=False).lower()
    value = re.sub(r"^(~|≈|about|approx\.?|environ|around|env\.|>|<|>=|<=)\s*", "", value)
    m = re.match(
        r"^(\d{1,3}(?:[ ,.\u202f\u00a0']\d{3})+|\d+)(?:[.,](\d+))?\s*(k)?\+?(?:\s+[a-zé]+)?\s*$", value
    )
    if not m:
        return None
    number = int(re.sub(r"\D", "", m.group(1)))
    if m.group(3):
        fraction = Decimal(f"0.{m.group(2)}") if m.group(2) else Decimal(0)
        return int((number + fraction) * 1000)
    return number


def parse_percent(value: str) -> Decimal | None:
    m = re.search(r"(\d{1,3}(?:[.,]\d+)?)\s*%", value)
    if not m:
        return None
    number = to_decimal(m.group(1))
    if number is None or number > 100:
        return None
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def parse_date(value: str) -> tuple[dt.date | None, str]:
    """(date, problem). Month-year dates get the 1st of the month, with a note saying so."""
    text = clean(value, numbering=False)
    plain = norm(value, numbering=False)
    m = ISO_DATE_RE.search(text)
    try:
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
            if day is None:
                return dt.date(year, month, 1), "day not stated, the 1st of the month is assumed"
            return dt.date(year, month, int(day)), ""
        m = YMD_DATE_RE.search(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), ""
        m = DMY_DATE_RE.search(text)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), ""
        m = WRITTEN_DATE_RE.search(plain)
        if m:
            month = MONTHS[m.group(2)]
            day = m.group(1) or m.group(3)
            if day is None:
                return (dt.date(int(m.group(4)), month, 1), "day not stated, the 1st of the month is assumed")
            return dt.date(int(m.group(4)), month, int(day)), ""
    except ValueError:
        return None, f"'{text}' is not a valid date"
    if PLACEHOLDER_RE.search(value):
        return None, f"the date is a placeholder ('{text}')"
    if re.fullmatch(r"(not stated|non renseignee|non precisee|unknown|inconnue|n/a|na|none|aucune|-)", plain):
        return None, "no date stated"
    return None, f"'{text}' is not a date the importer understands"


VERDICT_UNKNOWN_RE = re.compile(r"^(unknown|inconnu|not stated|non renseigne|n/a|tbd|a definir)$")
VERDICT_NOT_READY_RE = re.compile(
    r"\b(not|non|pas|no)\b(?: \w+){0,3} (ready|pret|prete|production)\b|\bno go\b|\bnogo\b|"
    r"\bunready\b|\bbloque\b|\bblocked\b|\brejected\b|\brefuse\b"
)
VERDICT_RESERVATIONS_RE = re.compile(
    r"reserv|caveat|\bconditional\b|\bconditionnel|\bsous conditions?\b|\bunder conditions?\b|"
    r"\bwith conditions?\b|\bpartially ready\b|\bpartiellement\b"
)
VERDICT_NO_RESERVATIONS_RE = re.compile(r"\b(no|without|sans|aucune?)\s+reserv")
VERDICT_IN_PRODUCTION_RE = re.compile(
    r"\b(already|deja)\b(?: \w+){0,2} (in|en) production\b|\b(is|est) (live|en production)\b"
)
VERDICT_READY_RE = re.compile(r"\b(ready|pret|prete|go|approved|approuve|valide|ok)\b")
VERDICT_PHRASE_RE = re.compile(
    r"\bnot (?:yet )?production ready\b|\bnot ready for production\b|"
    r"\bpas (?:encore )?prete? pour la (?:mise en )?production\b|\bready with reservations\b|"
    r"\bprete? (?:pour la production |pour revue |pour la mise en production )?avec reserves\b|"
    r"\balready in production\b|\bdeja en production\b|\bproduction ready\b|"
    r"\bready for production\b|\bprete? pour la (?:mise en )?production\b"
)


def map_verdict(text: str) -> tuple[str | None, bool]:
    """(verdict, already in production) for a stated verdict; None when not recognised."""
    key = norm(text, numbering=False)
    if not key:
        return None, False
    if VERDICT_UNKNOWN_RE.match(key):
        return "unknown", False
    if VERDICT_NOT_READY_RE.search(key):
        return "not_ready", False
    if VERDICT_RESERVATIONS_RE.search(key) and not VERDICT_NO_RESERVATIONS_RE.search(key):
        return "with_reservations", False
    if VERDICT_IN_PRODUCTION_RE.search(key) or key in ("in production", "en production", "live"):
        return "production_ready", True
    if VERDICT_READY_RE.search(key):
        return "production_ready", False
    return None, False


def parse_score(number: str, scale: str | None) -> Decimal | None:
    value = to_decimal(number)
    if value is None:
        return None
    if scale == "%":
        value = value / TEN
    elif scale and scale != "10":
        value = value * TEN / Decimal(scale)  # /100, /20 (French school marks), /5 (stars)
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def severity_in(text: str) -> int | None:
    m = SEVERITY_WORD_RE.search(norm(text, numbering=False))
    return SEVERITY_BY_WORD[m.group(1)] if m else None


def deaccent(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def item_severity(raw: str) -> int | None:
    """The severity an item states: "[High]", "(critical)", "High: ...", "Severity: high"."""
    key = deaccent(clean(raw, numbering=False))
    for pattern in (
        rf"^[\[(]?\s*({SEVERITY_ALT})\s*[\])]?\s*[:—–-]",
        rf"\b(?:severity|severite|gravite|criticite|priority|priorite)\s*[:=]?\s*({SEVERITY_ALT})\b",
        rf"[\[(]\s*({SEVERITY_ALT})\s*[\])]",
    ):
        m = re.search(pattern, key)
        if m:
            return SEVERITY_BY_WORD[m.group(1)]
    return None


# --- the parser ------------------------------------------------------------------------------------


class ReportParser:
    def __init__(self, text: str, domains):
        self.text = text
        self.blocks = read_blocks(text)
        self.index = DomainIndex(domains)
        self.weights = {d.pk: Decimal(d.weight) for d in domains}
        self.report = ParsedReport()
        self.kv: list[tuple[str, str, Block]] = []

    def parse(self) -> ParsedReport:
        if not any(b.kind == "heading" for b in self.blocks):
            raise ReportError("This file is not a Markdown report: it has no headings.")
        self._collect_kv()
        self._title_and_project()
        self._date()
        self._version()
        self._verdict()
        self._metrics()
        self._scores()
        self._checklists()
        self._findings()
        self._summary()
        self._check_is_report()
        return self.report

    # key/value statements
    def _collect_kv(self) -> None:
        for b in self.blocks:
            if b.kind == "row":
                if len(b.cells) >= 2 and clean(b.cells[0]):
                    value = " ".join(clean(c, numbering=False) for c in b.cells[1:2])
                    self.kv.append((norm(b.cells[0]), value, b))
                continue
            if b.kind not in ("line", "item", "heading"):
                continue
            m = KV_RE.match(clean(b.raw, numbering=False))
            if m and m.group(2).strip():
                self.kv.append((norm(m.group(1)), m.group(2).strip(), b))

    def _first(self, keys: set[str]) -> tuple[str, Block] | None:
        for key, value, block in self.kv:
            if key in keys and block.kind != "row":
                return value, block
        for key, value, block in self.kv:
            if key in keys:
                return value, block
        return None

    def _title_and_project(self) -> None:
        headings = [b for b in self.blocks if b.kind == "heading"]
        top = min(h.level for h in headings)
        first = next(h for h in headings if h.level == top)
        self.report.title = clean(first.raw)[:300]
        found = self._first(PROJECT_KEYS)
        if found:
            self.report.project_name = found[0][:200]
            return
        report_words = re.compile(
            r"\b(report|rapport|audit|review|revue|assessment|evaluation|"
            r"complete|backend|frontend|v\d+)\b"
        )
        for h in headings[:4]:
            text = clean(h.raw)
            parts = [p.strip() for p in re.split(r"\s+[-—–|:]\s+|:\s+", text) if p.strip()]
            named = [p for p in parts if not report_words.search(norm(p))]
            if len(parts) > 1 and named and len(named) < len(parts):
                self.report.project_name = named[0][:200]
                return
            m = re.match(
                r"^(?:audit|rapport d.audit|rapport|revue|review|assessment|report)"
                r"(?:\s+[\w-]+){0,3}?\s+(?:of|de|du|des|for|pour|on|sur|:)\s+"
                r"(?:l['’]|la |le |les |the )?(?:application |app |projet |project |"
                r"service |système |systeme |system |produit |product )?(.+)$",
                text,
                re.IGNORECASE,
            )
            if m:
                self.report.project_name = m.group(1).strip()[:200]
                return
            m = re.match(
                r"^(.+?)\s+(?:(?:security|code|quality|performance|architecture|"
                r"technical|backend|frontend|full stack|readiness|maturity|senior)\s+)*"
                r"(?:audit report|audit|report|rapport d.audit|rapport|review|assessment)$",
                text,
                re.IGNORECASE,
            )
            if m and not report_words.search(norm(m.group(1))):
                self.report.project_name = m.group(1).strip(" -—–:|")[:200]
                return

    def _date(self) -> None:
        found = self._first(DATE_KEYS)
        if found:
            value, _block = found
            date, problem = parse_date(value)
            self.report.audit_date = date
            if problem:
                self.report.warn(
                    f"Date: {problem}." if date else f"Date: {problem}; the audit date is left empty."
                )
            return
        for b in self.blocks:
            if b.kind in ("line", "heading"):
                date, problem = parse_date(b.raw)
                if date and not problem:
                    self.report.audit_date = date
                    return
        self.report.warn("No date found in the report; the audit date is left empty.")

    def _version(self) -> None:
        found = self._first(VERSION_KEYS)
        if found:
            self.report.version = found[0][:100]

    def _verdict(self) -> None:
        labelled = [(v, b) for k, v, b in self.kv if k in VERDICT_KEYS and b.kind != "row"]
        labelled += [(v, b) for k, v, b in self.kv if k in VERDICT_KEYS and b.kind == "row"]
        for value, _block in labelled:
            verdict, in_production = map_verdict(value)
            if verdict is not None:
                self.report.verdict, self.report.verdict_text = verdict, value[:200]
                self.report.already_in_production = in_production
                self.report.verdict_stated = True
                return
        # A heading "Verdict" / "Conclusion" whose verdict is the next line.
        for i, b in enumerate(self.blocks):
            if b.kind == "heading" and norm(b.raw) in VERDICT_KEYS:
                nxt = next((n for n in self.blocks[i + 1 : i + 3] if n.kind in ("line", "item")), None)
                if nxt is not None:
                    verdict, in_production = map_verdict(nxt.raw)
                    if verdict is not None and len(norm(nxt.raw).split()) <= 8:
                        self.report.verdict, self.report.verdict_text = verdict, clean(nxt.raw)[:200]
                        self.report.already_in_production = in_production
                        return
        for b in self.blocks:
            if b.kind in ("line", "heading", "item"):
                m = VERDICT_PHRASE_RE.search(norm(b.raw, numbering=False))
                if m:
                    verdict, in_production = map_verdict(m.group(0))
                    self.report.verdict, self.report.verdict_text = verdict, m.group(0)
                    self.report.already_in_production = in_production
                    return
        if labelled:
            self.report.warn(f"Verdict '{labelled[0][0]}' is not a verdict the importer knows; left unknown.")
        else:
            self.report.warn("No verdict found in the report; left unknown.")

    # metrics
    def _set_metric(self, name: str, value) -> None:
        if value is None or name in self.report.metrics:
            return
        if isinstance(value, int) and value > MAX_COUNT:
            self.report.warn(
                f"Metric {name.replace('_', ' ')} ({value}) is too large to be true; not imported."
            )
            return
        self.report.metrics[name] = value

    def _metrics(self) -> None:
        metric_tables = set()
        for b in self.blocks:
            if (
                b.kind == "row"
                and b.header
                and norm(b.header[0])
                in (
                    "metric",
                    "metrics",
                    "metrique",
                    "metriques",
                    "indicator",
                    "indicateur",
                    "indicateurs",
                    "kpi",
                    "mesure",
                    "measure",
                )
            ):
                metric_tables.add(b.table_id)
        for key, value, block in self.kv:
            mapped = self._metric_from_kv(key, value)
            if not mapped and block.kind == "row" and block.table_id in metric_tables:
                label = clean(block.cells[0])
                if label and label.lower() not in self.report.extra_metrics:
                    number = parse_count(value)
                    self.report.extra_metrics[label] = number if number is not None else value
                    self.report.warn(
                        f"Metric '{label}' ({value}) is not a known metric; kept as-is in the extra metrics."
                    )
        self._prose_metrics()
        # Severity tables: | Severity | Count |
        for b in self.blocks:
            if (
                b.kind == "row"
                and b.header
                and len(b.cells) >= 2
                and norm(b.header[0]) in ("severity", "severite", "gravite", "criticite", "niveau", "level")
            ):
                level = severity_in(b.cells[0])
                count = parse_count(b.cells[1])
                if level in (1, 2, 3, 4) and count is not None:
                    self._set_metric(self._security_field(level), count)

    def _prose_metrics(self) -> None:
        """Metrics written in sentences ("coverage 88 %", "mean latency 95ms, uptime 99.98%"),
        read only when no key/value statement gave them."""
        for b in self.blocks:
            if b.kind not in ("line", "item"):
                continue
            text = deaccent(clean(b.raw, numbering=False))
            m = re.search(
                r"\b(?:coverage|couverture)(?: de code| de tests| des tests)?\s*"
                r"(?:[:=]|of|de|is|est|at|a|reaches|atteint)?\s*(\d{1,3}(?:[.,]\d+)?)\s*%",
                text,
            )
            if m and "branch" not in text[max(0, m.start() - 10) : m.end()]:
                self._set_metric("coverage_percent", parse_percent(m.group(1) + "%"))
            m = re.search(
                r"\b(?:latency|latence|response time|temps de reponse)\s*(?:p\d\d\s*)?"
                r"(?:[:=]|of|de|is|est|a|under|sous)?\s*(\d+(?:[.,]\d+)?\s*(?:ms|s)\b)",
                text,
            )
            if m:
                self.report.extra_metrics.setdefault("response_time_ms", parse_milliseconds(m.group(1)))
            m = re.search(
                r"\b(?:uptime|availability|disponibilite)\s*(?:[:=]|of|de|is|est|a)?\s*"
                r"(\d{1,3}(?:[.,]\d+)?)\s*%",
                text,
            )
            if m:
                percent = parse_percent(m.group(1) + "%")
                if percent is not None:
                    self.report.extra_metrics.setdefault("availability_percent", float(percent))

    @staticmethod
    def _security_field(level: int) -> str:
        return {4: "security_critical", 3: "security_high", 2: "security_medium", 1: "security_low"}[level]

    def _metric_from_kv(self, key: str, value: str) -> bool:
        if not key or len(key) > 50:
            return False
        plain = norm(value, numbering=False)
        found = False
        if re.search(r"\b(tests?|pytest|suite|test suite|suite de tests)\b", key):
            for pattern, name in (
                (r"(passed|passing|pass|ok|reussis?|succes|successful|success|verts?|green)", "tests_passed"),
                (r"(skipped|skip|skips|ignores?|ignored|sautes?|pending)", "tests_skipped"),
                (r"(failed|failing|failures?|echoues?|echecs?|ko|red|rouges?)", "tests_failed"),
                (r"(errors?|erreurs?|errored)", "tests_errors"),
            ):
                m = re.search(rf"(\d[\d,\u202f\u00a0 ]*?)\s*(?:tests?\s+)?{pattern}\b", plain)
                if m:
                    self._set_metric(name, parse_count(m.group(1)))
                    found = True
            if not found:
                bare = parse_count(value)
                if bare is not None:
                    if re.search(r"\b(passed|passing|reussis|succes)\b", key):
                        self._set_metric("tests_passed", bare)
                        found = True
                    elif re.search(r"\b(skipped|ignores|sautes)\b", key):
                        self._set_metric("tests_skipped", bare)
                        found = True
                    elif re.search(r"\b(failed|failures|echoues|echecs)\b", key):
                        self._set_metric("tests_failed", bare)
                        found = True
                    elif re.search(r"\b(errors|erreurs|en erreur)\b", key):
                        self._set_metric("tests_errors", bare)
                        found = True
            if re.search(r"\b(duration|duree|time|temps)\b", key):
                seconds = parse_duration(value)
                if seconds is not None:
                    self._set_metric("tests_duration_seconds", seconds)
                    found = True
            if found:
                return True
        if re.search(r"\b(coverage|couverture)\b", key):
            lead = re.match(r"^\W{0,3}(\d{1,3}(?:[.,]\d+)?\s*%)", clean(value, numbering=False))
            percent = parse_percent(lead.group(1)) if lead else None
            if percent is not None:
                name = "branch_coverage_percent" if re.search(r"\bbranch", key) else "coverage_percent"
                self._set_metric(name, percent)
                return True
        if re.search(
            r"\b(security|securite|vulnerabilit\w*|vulns?|bandit|safety|sast|failles?)\b", key
        ) or re.search(r"\b(issues|findings|problemes)\b", key):
            pairs = re.findall(rf"(\d[\d,]*)\s*({SEVERITY_ALT})\b", plain)
            if not pairs:
                pairs = [(n, w) for w, n in re.findall(rf"\b({SEVERITY_ALT})\s*[:=]?\s*(\d[\d,]*)", plain)]
            for number, word in pairs:
                level = SEVERITY_BY_WORD[word]
                if level:
                    self._set_metric(self._security_field(level), parse_count(number))
                    found = True
            if not found:
                level = severity_in(key)
                count = parse_count(value)
                if level and count is not None:
                    self._set_metric(self._security_field(level), count)
                    found = True
            if found:
                return True
        if re.search(r"\b(lines of code|loc|sloc|lignes de code|code lines|lines|lignes)\b", key):
            count = parse_count(value)
            if count is not None:
                self._set_metric("lines_of_code", count)
                return True
        if re.search(r"\b(files?|fichiers?)\b", key) and not re.search(r"\btests?\b", key):
            count = parse_count(value)
            if count is not None:
                self._set_metric("files_count", count)
                return True
        if key in (
            "warnings",
            "avertissements",
            "lint warnings",
            "warnings count",
            "nombre de warnings",
            "compiler warnings",
        ):
            count = parse_count(value)
            if count is not None:
                self._set_metric("warnings_count", count)
                return True
        if re.search(r"\b(response time|temps de reponse|latency|latence|p95|p99)\b", key):
            ms = parse_milliseconds(value)
            if ms is not None:
                self.report.extra_metrics.setdefault("response_time_ms", ms)
                return True
        if re.search(r"\b(availability|disponibilite|uptime|sla)\b", key):
            percent = parse_percent(value)
            if percent is not None:
                self.report.extra_metrics.setdefault("availability_percent", float(percent))
                return True
        return False

    # scores
    def _add_score(self, label: str, stated: str, number: str, scale: str | None, block: Block) -> None:
        score = parse_score(number, scale) if number else None
        if score is not None and not (0 <= score <= TEN):
            self.report.warn(f"Score '{clean(label)}' ({stated}) is outside 0–10; not imported.")
            return
        key = norm(label)
        domain = self.index.match(label, exact_only=False)
        is_global = domain is None and GLOBAL_RE.search(key)
        if domain is None and not is_global and (not key or key in GENERIC_SCORE_LABELS):
            # "Score: 7/10" under a "### Security" heading: the heading names the domain.
            for heading in reversed(block.headings):
                domain = self.index.match(heading.text)
                if domain is not None:
                    break
                if GLOBAL_RE.search(norm(heading.text)):
                    is_global = True
                    break
        if is_global and domain is None:
            if self.report.stated_global is None and score is not None:
                self.report.stated_global = score
            return
        if domain is None:
            self.report.warn(
                f"Score '{clean(label) or '?'}' ({stated}) does not match any maturity domain; not imported."
            )
            return
        existing = self.report.scores.get(domain.pk)
        if existing is not None:
            if existing.score != score:
                self.report.warn(
                    f"{domain.name} is scored twice ({existing.stated} and {stated}); the first is kept."
                )
            return
        self.report.scores[domain.pk] = ParsedScore(domain.pk, domain.name, score, clean(label), stated)

    def _scores(self) -> None:
        for b in self.blocks:
            if b.kind == "row":
                self._score_from_row(b)
            elif b.kind in ("line", "item", "heading"):
                text = clean(b.raw, numbering=False)
                m = SCORE_RE.search(text)
                if not m:
                    continue
                label = text[: m.start()].strip(" :=-—–|(.…")
                label = (
                    re.sub(r"\b(score|note|scored|is|est|de|of|:)\s*$", "", label, flags=re.IGNORECASE).strip(
                        " :=-—–|("
                    )
                    or label
                )
                if len(label) > 80:
                    continue
                self._add_score(label, m.group(0), m.group(1), m.group(2), b)
        self._weighted_mean()

    def _score_from_row(self, b: Block) -> None:
        if len(b.cells) < 2:
            return
        label = b.cells[0]
        score_cols = [i for i, h in enumerate(b.header) if i > 0 and SCORE_HEADER_RE.search(norm(h))]
        for i in score_cols:
            if i >= len(b.cells):
                continue
            cell = clean(b.cells[i], numbering=False)
            found_scale = HEADER_SCALE_RE.search(norm(b.header[i]))
            header_scale = found_scale.group(1) if found_scale else None
            m = BARE_SCORE_RE.match(cell)
            if m:
                scale = m.group(2).replace(" ", "").lstrip("/") if m.group(2) else header_scale
                if scale is None and (to_decimal(m.group(1)) or 0) > TEN:
                    scale = "100"
                self._add_score(label, cell, m.group(1), scale, b)
                return
            m = SCORE_RE.search(cell)
            if m:
                self._add_score(label, m.group(0), m.group(1), m.group(2), b)
                return
            if NOT_MEASURED_RE.match(norm(cell, numbering=False) or "-"):
                domain = self.index.match(label)
                if domain is not None and domain.pk not in self.report.scores:
                    self.report.scores[domain.pk] = ParsedScore(
                        domain.pk, domain.name, None, clean(label), cell
                    )
                return
        if score_cols:
            return
        for cell in b.cells[1:]:
            m = SCORE_RE.search(clean(cell, numbering=False))
            if m:
                self._add_score(label, m.group(0), m.group(1), m.group(2), b)
                return

    def _weighted_mean(self) -> None:
        pairs = [
            (s.score, self.weights.get(s.domain_id, Decimal(0)))
            for s in self.report.scores.values()
            if s.score is not None
        ]
        total = sum((w for _, w in pairs), Decimal(0))
        if not total:
            return
        mean = sum((s * w for s, w in pairs), Decimal(0)) / total
        self.report.weighted_mean = mean
        stated = self.report.stated_global
        if stated is not None and abs(stated - mean) > INCONSISTENCY_TOLERANCE:
            rounded = mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            self.report.inconsistency = {
                "stated_global": str(stated),
                "weighted_mean": str(rounded),
                "difference": str(abs(stated - mean).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            }
            self.report.warn(
                f"Inconsistency: the report states a global score of {stated}/10 but the weighted "
                f"mean of its domain scores is {rounded}/10 (difference over 0.1)."
            )

    # checklists
    def _section_level(self) -> int:
        counts: dict[int, int] = {}
        for b in self.blocks:
            if b.kind == "heading":
                counts[b.level] = counts.get(b.level, 0) + 1
        repeated = [level for level, n in counts.items() if n > 1]
        return min(repeated) if repeated else min(counts)

    def _checklists(self) -> None:
        level = self._section_level()
        by_key: dict[object, ParsedChecklist] = {}
        for b in self.blocks:
            if b.kind != "check":
                continue
            top = [h for h in b.headings if h.level <= level]
            owner = top[-1] if top else None
            deeper = [h for h in b.headings if h.level > level]
            key = (owner.level, owner.raw, id(owner)) if owner else None
            if key not in by_key:
                title = CHECKLIST_PREFIX_RE.sub("", owner.text).strip() if owner else ""
                by_key[key] = ParsedChecklist(title=(title or self.report.title or "Checklist")[:300])
                self.report.checklists.append(by_key[key])
            text, note, state = b.raw, "", "done" if b.checked else "todo"
            na = NA_SUFFIX_RE.search(text)
            if na:
                text, note, state = text[: na.start()], na.group(1).strip(), "na"
                note = note or "Marked not applicable in the imported report."
            text = text.strip()
            if not text:
                continue
            by_key[key].items.append(
                ParsedItem(
                    text=text[:500], state=state, section=(deeper[-1].text if deeper else "")[:200], note=note
                )
            )

    # findings
    def _problem_heading(self, block: Block):
        """The nearest heading above `block` naming problems (None if none or under "good
        practices")."""
        found = None
        for h in block.headings:
            key = norm(h.text)
            if GOOD_RE.search(key):
                return None
            if PROBLEM_RE.search(key) and self.index.match(h.text, exact_only=True) is None:
                found = h
        return found

    def _findings(self) -> None:
        seen: set[tuple[str, str]] = set()
        label_scope = False
        item_indent = None
        owner = None  # (level, finding) while inside a finding written as a heading

        def add(finding: ParsedFinding | None) -> None:
            if finding is None:
                return
            key = (norm(finding.title), finding.file_path)
            if key not in seen:
                seen.add(key)
                self.report.findings.append(finding)

        for i, b in enumerate(self.blocks):
            if b.kind == "heading":
                label_scope, item_indent = False, None
                if owner is not None and b.level <= owner[0]:
                    owner = None
                if owner is None:
                    finding = self._finding_from_heading(i, b)
                    if finding is not None:
                        owner = (b.level, finding)
                        add(finding)
                continue
            if owner is not None:
                self._detail_of_heading_finding(owner[1], b)
                continue
            if b.kind == "line":
                text = clean(b.raw, numbering=False)
                m = KV_RE.match(text)
                label = m.group(1) if m and not m.group(2).strip() else (text if len(text) < 80 else "")
                label_scope = bool(
                    label and PROBLEM_RE.search(norm(label)) and not GOOD_RE.search(norm(label))
                )
                item_indent = None
                continue
            if b.kind not in ("item", "row"):
                continue
            heading = self._problem_heading(b)
            if heading is None and not label_scope:
                continue
            if b.kind == "row":
                add(self._finding_from_row(b))
                continue
            if item_indent is None:
                item_indent = b.level
            if b.level > item_indent:
                # A nested item details the finding above it.
                if self.report.findings:
                    last = self.report.findings[-1]
                    last.description = (last.description + "\n" + clean(b.raw, numbering=False)).strip()
                continue
            add(self._finding_from_item(b))

    def _finding_from_heading(self, index: int, b: Block) -> ParsedFinding | None:
        """A finding written as a heading under a problems heading: "### [HIGH] SQL injection",
        "#### F-02: Secrets in logs (critical)", or any sub-heading followed by "Severity: ..."."""
        parents = [h for h in b.headings if h.level < b.level]
        if not parents or self._problem_heading(b) is None:
            return None
        severity = item_severity(b.raw)
        if severity is None:
            for nxt in self.blocks[index + 1 : index + 8]:
                if nxt.kind == "heading":
                    break
                m = KV_RE.match(clean(nxt.raw, numbering=False))
                if m and re.search(
                    r"\b(severity|severite|gravite|criticite|priority|priorite)\b", norm(m.group(1))
                ):
                    severity = severity_in(m.group(2))
                    break
        if severity is None:
            return None
        title = clean(b.raw)
        title = re.sub(
            rf"^\s*[\[(]?\s*(?:{SEVERITY_ALT})\s*[\])]?\s*[:\-—–]?\s*", "", title, flags=re.IGNORECASE
        )
        title = re.sub(r"^[A-Z]{1,6}-?\d{1,4}\s*[:.\-—–]\s*", "", title)  # "F-02: ", "VULN-3 - "
        title = re.sub(rf"\s*[\[(]\s*(?:{SEVERITY_ALT})\s*[\])]\s*$", "", title, flags=re.IGNORECASE).strip()
        if not title or severity_in(title) is not None and len(norm(title).split()) <= 3:
            return None  # "### High (2)" groups findings, it is not one
        return ParsedFinding(
            title=title[:500], severity=severity, section=b.headings[-1].text if b.headings else ""
        )

    def _detail_of_heading_finding(self, finding: ParsedFinding, b: Block) -> None:
        text = (
            clean(b.raw, numbering=False)
            if b.kind != "row"
            else " ".join(clean(c, numbering=False) for c in b.cells)
        )
        m = KV_RE.match(text)
        key = norm(m.group(1)) if m else ""
        if m and re.search(r"\b(file|fichier|location|emplacement|path|chemin|where)\b", key):
            loc = PATH_RE.search(m.group(2).replace("`", ""))
            if loc:
                finding.file_path = loc.group(1)[:1000]
                line = int(loc.group(2)) if loc.group(2) else None
                if line is None:
                    lm = LINE_RE.search(m.group(2))
                    line = int(lm.group(1)) if lm else None
                finding.line = line if line is not None and 0 < line <= MAX_COUNT else None
                return
        if m and re.search(r"\b(status|statut|etat)\b", key):
            finding.status = STATUS_WORDS.get(norm(m.group(2), numbering=False), finding.status)
            return
        if m and re.search(r"\b(severity|severite|gravite|criticite|priority|priorite)\b", key):
            return
        if text and len(finding.description) < 2000:
            finding.description = (finding.description + "\n" + text).strip()

    def _severity_from_headings(self, block: Block) -> int | None:
        for h in reversed(block.headings):
            # "Points faibles" (weak points) names problems, not a low severity.
            level = severity_in(re.sub(r"\bpoints? faibles?\b", "", norm(h.text)))
            if level is not None:
                return level
        return None

    def _finding_from_item(self, b: Block) -> ParsedFinding | None:
        raw = b.raw.strip()
        if re.match(r"^(none|aucun|aucune|rien|n/a|nothing)\b", norm(raw, numbering=False)):
            return None
        parts = re.split(r"\s+—\s+", raw)
        title_raw, rest = parts[0], parts[1:]
        description = ""
        status = "open"
        file_path, line = "", None
        bold = re.match(r"^\*\*(.+?)\*\*\s*(?:[:：]|\s[-–]\s)\s*(.+)$", title_raw)
        if bold and not rest:
            title_raw, description = bold.group(1), bold.group(2)
        severity = item_severity(raw)
        for part in rest:
            key = norm(part, numbering=False)
            loc = PATH_RE.search(part.strip("` "))
            ticked = re.fullmatch(r"`([^`\s]+?)(?::(\d{1,9}))?`", part.strip())
            if key in STATUS_WORDS:
                status = STATUS_WORDS[key]
            elif ticked:  # "— `Dockerfile:3` —": a code-formatted part is the location
                file_path, line = ticked.group(1), int(ticked.group(2)) if ticked.group(2) else None
            elif loc and loc.group(0) == part.strip("` "):
                file_path, line = loc.group(1), int(loc.group(2)) if loc.group(2) else None
            else:
                description = (description + " " + clean(part, numbering=False)).strip()
        if status == "open":
            plain = norm(raw, numbering=False)
            if (
                "~~" in title_raw
                or "✅" in raw
                or re.search(
                    r"\((?:fixed|resolved|corrige|corrigee|"
                    r"resolu|resolue)\)",
                    deaccent(raw),
                )
                or re.search(r"\b(?:status|statut)\s*(fixed|resolved|corrige|resolu)\b", plain)
            ):
                status = "fixed"
        if not file_path:
            for candidate in re.findall(r"`([^`]+)`", raw) + [raw]:
                loc = PATH_RE.search(candidate)
                if loc and ("/" in loc.group(1) or "." in loc.group(1)):
                    file_path = loc.group(1)
                    line = int(loc.group(2)) if loc.group(2) else None
                    break
        if file_path and line is None:
            m = LINE_RE.search(raw)
            if m:
                line = int(m.group(1))
        title = clean(title_raw, numbering=False)
        title = (
            re.sub(rf"^\s*[\[(]?\s*(?:{SEVERITY_ALT})\s*[\])]?\s*[:\-—–]?\s+", "", title, flags=re.IGNORECASE)
            if severity is not None
            else title
        )
        title = re.sub(
            r"\s*\((?:fixed|resolved|corrigée?|résolue?)\)\s*$", "", title, flags=re.IGNORECASE
        ).strip()
        # "(severity: high)" and a trailing "in path/file.py line 12" are not part of the title.
        title = re.sub(
            rf"\s*[\[(]\s*(?:severity|sévérité|severite|gravité|gravite|priority|"
            rf"priorité)?\s*[:=]?\s*(?:{SEVERITY_ALT}|haute|élevée|élevé)\s*[\])]",
            "",
            title,
            flags=re.IGNORECASE,
        )
        if file_path:
            title = re.sub(
                rf"\s+(?:in|dans|at|à|from|de)\s+{re.escape(file_path)}"
                rf"(?::\d+)?(?:,?\s*(?:line|ligne|l\.)\s*\d+)?\s*\.?$",
                "",
                title,
                flags=re.IGNORECASE,
            ).strip()
        if not title:
            return None
        if severity is None:
            severity = self._severity_from_headings(b)
        if severity is None:
            severity = 2
            self.report.warn(f"Finding '{title[:80]}': no severity stated; medium assumed.")
        if line is not None and not 0 < line <= MAX_COUNT:
            line = None
        return ParsedFinding(
            title=title[:500],
            severity=severity,
            status=status,
            file_path=file_path[:1000],
            line=line,
            description=description,
            section=b.headings[-1].text if b.headings else "",
        )

    def _finding_from_row(self, b: Block) -> ParsedFinding | None:
        header = [norm(h) for h in b.header]
        if not header:
            return None

        def column(pattern: str) -> int | None:
            return next((i for i, h in enumerate(header) if re.search(pattern, h)), None)

        title_col = column(
            r"\b(title|titre|issue|problem|probleme|finding|constat|vulnerabilit|"
            r"description|faille|risk|risque|bug)"
        )
        severity_col = column(r"\b(severity|severite|gravite|criticite|priority|priorite|impact)")
        if title_col is None and severity_col is None:
            return None
        if title_col is None:
            title_col = 0

        def cell(i):
            return clean(b.cells[i], numbering=False) if i is not None and i < len(b.cells) else ""

        title = cell(title_col)
        if not title:
            return None
        severity = severity_in(cell(severity_col)) if severity_col is not None else None
        if severity is None:
            severity = self._severity_from_headings(b)
        if severity is None:
            severity = 2
            self.report.warn(f"Finding '{title[:80]}': no severity stated; medium assumed.")
        file_col = column(r"\b(file|fichier|location|emplacement|path|chemin)")
        line_col = column(r"\b(line|ligne)\b")
        status_col = column(r"\b(status|statut|etat)\b")
        file_path, line = "", None
        if file_col is not None:
            loc = PATH_RE.search(cell(file_col))
            if loc:
                file_path, line = loc.group(1), int(loc.group(2)) if loc.group(2) else None
        if line_col is not None and re.fullmatch(r"\d{1,9}", cell(line_col)):
            line = int(cell(line_col))
        if line is not None and not 0 < line <= MAX_COUNT:
            line = None
        status = (
            STATUS_WORDS.get(norm(cell(status_col), numbering=False), "open")
            if status_col is not None
            else "open"
        )
        return ParsedFinding(
            title=title[:500],
            severity=severity,
            status=status,
            file_path=file_path[:1000],
            line=line,
            section=b.headings[-1].text if b.headings else "",
        )

    def _summary(self) -> None:
        """The prose of the report's summary section (else its conclusion), as written."""
        for names in (SUMMARY_HEADINGS, CONCLUSION_HEADINGS):
            for i, b in enumerate(self.blocks):
                if b.kind != "heading" or norm(b.raw) not in names:
                    continue
                lines = []
                for nxt in self.blocks[i + 1 :]:
                    if nxt.kind == "heading" and nxt.level <= b.level:
                        break
                    if nxt.kind == "line":
                        lines.append(nxt.raw)
                    elif nxt.kind == "item":
                        lines.append("- " + nxt.raw)
                text = "\n".join(lines).strip()
                if text:
                    self.report.summary = text[:5000]
                    return

    def _check_is_report(self) -> None:
        r = self.report
        # Scores, a verdict or metrics are statements only an audit makes; checkboxes and
        # "issues" lists also appear in READMEs and notes, so they need a date/project/version.
        strong = (
            r.verdict_stated
            or r.verdict != "unknown"
            or bool(r.scores)
            or r.stated_global is not None
            or bool(r.metrics)
        )
        weak = bool(r.checklists) or bool(r.findings)
        identity = r.audit_date is not None or bool(r.project_name) or bool(r.version)
        if not strong and not (weak and identity):
            raise ReportError(
                "This file does not look like an audit report: no verdict, maturity score, metric, "
                "checklist or finding could be read from it."
            )


def parse_duration(value: str) -> float | None:
    text = deaccent(clean(value, numbering=False)).replace(",", ".")
    total, matched = 0.0, False
    for number, unit in re.findall(r"(\d+(?:[.,]\d+)?)\s*(h|min|mn|m|s|sec|secs|seconds|ms)\b", text):
        n = float(number.replace(",", "."))
        total += {"h": 3600, "min": 60, "mn": 60, "m": 60, "ms": 0.001}.get(unit, 1) * n
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


def parse_report(text: str, *, domains) -> ParsedReport:
    """Read a (repaired) report text; `domains` are the MaturityDomain rows to map scores to."""
    return ReportParser(text, list(domains)).parse()
