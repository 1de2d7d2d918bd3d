"""What a hand-written audit report states, read with general rules rather than one file's shape.

The report is cut into blocks (`markdown`); key/value statements ("**Date:** ...", "Statut : ...",
"### Status: ...", two-cell table rows) give the project, date, version and verdict; the readers
in `metrics`, `scores` and `findings_reader` add metrics, stated scores and findings; every
"- [x]" / "- [ ]" is a checklist item. Words come from `vocabulary` (seven languages), values from
`values`, verdicts from `verdicts` (never read backwards), the project from `names`.

What cannot be placed becomes a warning; nothing here raises on a strange report except
`ReportError` when the text is not a report at all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from reports.errors import ReportError
from reports.findings_reader import FindingsMixin, ParsedFinding
from reports.markdown import Block, clean, norm, read_blocks
from reports.metrics import MetricsMixin, MetricValue
from reports.names import find_project_name
from reports.scores import ParsedScore, ScoresMixin, StatedScoreValue
from reports.values import parse_count, parse_date
from reports.verdicts import is_verdict_key, map_verdict, phrase_verdicts, polarity
from reports.vocabulary import (
    AFTER_RE,
    BEFORE_RE,
    CONCLUSION_HEADINGS,
    DATE_KEYS,
    SEVERITY_LABELS,
    SUMMARY_HEADINGS,
    VERSION_KEYS,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from projects.models import MaturityDomain

__all__ = [
    "SEVERITY_LABELS",
    "ParsedFinding",
    "ParsedReport",
    "ParsedScore",
    "StatedScoreValue",
    "map_verdict",
    "parse_count",
    "parse_date",
    "parse_report",
]

NA_SUFFIX_RE = re.compile(
    r"\s+[—–-]\s+(?:not applicable|n/a|non applicable|sans objet)\s*:?\s*(.*)$", re.IGNORECASE
)
CHECKLIST_PREFIX_RE = re.compile(r"^(?:checklist|check-list|liste de contr[oô]le)\s*[:—–-]\s*", re.IGNORECASE)
WRITTEN_ON_RE = re.compile(
    r"\b(generated|written|prepared|redige|genere|etabli|erstellt|generiert|generado|redactado|"
    r"generato|redatto|gerado|redigido|gegenereerd|opgesteld)\b( on| le| am| el| il| em| op)?\s+\d"
)
NOT_STATED_KEY_RE = re.compile(
    r"\b(computed|calculated|calcule|berechnet|calculado|calcolato|berekend|expected|target|previous|"
    r"before|avant|vorher|antes|prima|voor|estimated|estime)\b"
)
LOCAL_STATUS_KEYS = {
    "status",
    "statut",
    "estado",
    "stato",
    "etat",
    "state",
    "result",
    "resultat",
    "resultado",
}
KV_RE = re.compile(r"^([^:：]{1,60}?)\s*[:：]\s*(.*)$")
PLACEHOLDERS_RE = re.compile(
    r"\{\{\s*[\w .-]+\s*\}\}|(?<!\w)_{2,}\s*/\s*\d+|(?<![\w_])_{3,}(?![\w_])|"
    r"\[(?:[A-Z][\w ]{1,30}|[A-Z ]{3,30})\]|"
    r"\bYYYY-MM-DD\b|\bAAAA-MM-JJ\b|\bJJJJ-MM-TT\b|<(?:project|projet|projekt|proyecto|date|name|nom)>",
    re.IGNORECASE,
)
# Domain names in the other languages reports are written in, to the English names and aliases
# the maturity domains carry (matched word by word, after `norm`).
TRANSLATIONS = {
    "sicherheit": "security", "seguridad": "security", "sicurezza": "security", "seguranca": "security",
    "beveiliging": "security", "architektur": "architecture", "arquitectura": "architecture",
    "architettura": "architecture", "arquitetura": "architecture", "architectuur": "architecture",
    "dokumentation": "documentation", "documentacion": "documentation", "documentazione": "documentation",
    "documentacao": "documentation", "documentatie": "documentation", "pruebas": "tests",
    "prove": "tests", "testes": "tests", "testen": "tests", "leistung": "performance",
    "rendimiento": "performance", "prestazioni": "performance", "desempenho": "performance",
    "prestaties": "performance", "zuverlassigkeit": "reliability", "fiabilidad": "reliability",
    "affidabilita": "reliability", "confiabilidade": "reliability", "betrouwbaarheid": "reliability",
    "codequalitat": "code quality", "codekwaliteit": "code quality", "calidad": "quality",
    "qualita": "quality", "qualidade": "quality", "kwaliteit": "quality", "qualitat": "quality",
    "wartbarkeit": "maintainability", "mantenibilidad": "maintainability",
    "manutenibilita": "maintainability",
    "manutenibilidade": "maintainability", "onderhoudbaarheid": "maintainability",
    "uberwachung": "monitoring", "monitorizacion": "monitoring", "monitoraggio": "monitoring",
    "monitoramento": "monitoring", "observeerbaarheid": "observability", "infraestructura": "infrastructure",
    "infrastruktur": "infrastructure", "infrastruttura": "infrastructure", "infraestrutura": "infrastructure",
    "infrastructuur": "infrastructure", "despliegue": "deployment", "bereitstellung": "deployment",
    "implantacao": "deployment", "uitrol": "deployment", "estructura": "structure", "struttura": "structure",
    "estrutura": "structure", "struktur": "structure", "structuur": "structure", "registro": "logging",
    "journalisation": "logging", "protokollierung": "logging", "keamanan": "security",
    "pengujian": "testing", "dokumentasi": "documentation", "arsitektur": "architecture",
    "kinerja": "performance", "performa": "performance", "biztonsag": "security",
    "teszteles": "testing", "dokumentacio": "documentation", "architektura": "architecture",
    "teljesitmeny": "performance", "bezpieczenstwo": "security", "testy": "tests",
    "dokumentacja": "documentation", "wydajnosc": "performance", "niezawodnosc": "reliability",
    "keandalan": "reliability", "megbizhatosag": "reliability",
}  # fmt: skip


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
class ParsedReport:
    title: str = ""
    project_name: str = ""
    project_rule: str = ""  # which rule chose the project name
    audit_date: dt.date | None = None
    version: str = ""
    verdict: str = "unknown"
    verdict_text: str = ""
    already_in_production: bool = False
    verdict_stated: bool = False  # a labelled verdict was read (even "Unknown")
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    extra_metrics: dict[str, MetricValue | None] = field(default_factory=dict)
    scores: dict[int, ParsedScore] = field(default_factory=dict)
    stated_scores: list[StatedScoreValue] = field(default_factory=list)
    stated_global: Decimal | None = None
    stated_global_before: Decimal | None = None
    weighted_mean: Decimal | None = None
    inconsistency: dict[str, str] | None = None
    checklists: list[ParsedChecklist] = field(default_factory=list)
    findings: list[ParsedFinding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def checklist_item_count(self) -> int:
        return sum(len(c.items) for c in self.checklists)

    @property
    def unmapped_scores(self) -> list[StatedScoreValue]:
        return [s for s in self.stated_scores if s.domain_id is None]

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def after_column(b: Block) -> int:
    """The value column of a table row: the "after" / "current" one of a before/after table."""
    header = [norm(h) for h in b.header]
    if any(BEFORE_RE.search(h) for h in header[1:]):
        return next((i for i, h in enumerate(header) if i > 0 and AFTER_RE.search(h)), 1)
    return 1


def singular(key: str) -> str:
    """ "performances" and "performance", "tests" and "test" are the same name."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in key.split())


class DomainIndex:
    """Maps the names reports use to maturity domains (name, slug and aliases, any language)."""

    def __init__(self, domains: list[MaturityDomain]) -> None:
        self.domains = {d.pk: d for d in domains}
        self.exact: dict[str, MaturityDomain] = {}
        for d in domains:
            for name in [d.name, d.slug.replace("-", " "), *(d.aliases or [])]:
                key = norm(str(name))
                if key:
                    self.exact.setdefault(key, d)
        for key, d in list(self.exact.items()):
            self.exact.setdefault(singular(key), d)
        self.by_length = sorted(self.exact.items(), key=lambda kv: len(kv[0]), reverse=True)

    def _lookup(self, key: str, exact_only: bool) -> MaturityDomain | None:
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

    def match(self, label: str, exact_only: bool = False) -> MaturityDomain | None:
        key = norm(label)
        if not key:
            return None
        found = self._lookup(key, exact_only)
        if found is None:
            translated = " ".join(TRANSLATIONS.get(w, w) for w in key.split())
            if translated != key:
                found = self._lookup(translated, exact_only)
        return found


class ReportParser(MetricsMixin, ScoresMixin, FindingsMixin):
    def __init__(self, text: str, domains: list[MaturityDomain], file_name: str = "") -> None:
        self.text = text
        self.file_name = file_name
        self.blocks = read_blocks(text)
        self.index = DomainIndex(domains)
        self.weights = {d.pk: Decimal(d.weight) for d in domains}
        self.report = ParsedReport()
        self.kv: list[tuple[str, str, Block]] = []
        self.date_labelled = False

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

    def _collect_kv(self) -> None:
        for b in self.blocks:
            if b.kind == "row":
                if len(b.cells) >= 2 and clean(b.cells[0]):
                    column = after_column(b)
                    value = clean(b.cells[column] if column < len(b.cells) else "", numbering=False)
                    self.kv.append((norm(b.cells[0]), value, b))
                continue
            if b.kind not in ("line", "item", "heading"):
                continue
            # "Ready for production: ❌": the mark is the answer (clean() drops emoji).
            text = clean(re.sub("[❌✖⛔🚫]", " no ", re.sub("[✅✔☑]", " yes ", b.raw)), numbering=False)
            parts = re.split(r"\s+\|\s+", text)
            # "**Severity:** HIGH | **File:** x.py" states two things; "`A` | `B`" lists options.
            for part in parts if len(parts) > 1 and all(KV_RE.match(p) for p in parts) else [text]:
                m = KV_RE.match(part)
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
        name, rule = find_project_name(self.blocks, self.kv, self.text, self.file_name)
        self.report.project_name, self.report.project_rule = name[:200], rule

    def _date(self) -> None:
        found = self._first(DATE_KEYS)
        if found:
            value, _block = found
            value = re.sub(r"(\d{1,2})\s*[-–]\s*\d{1,2}(\s+[^\d\s])", r"\1\2", value)  # "12–16 January"
            date, problem = parse_date(value)
            self.report.audit_date = date
            self.date_labelled = date is not None
            if problem:
                self.report.warn(
                    f"Date: {problem}." if date else f"Date: {problem}; the audit date is left empty."
                )
            if date or "placeholder" in problem or "not a valid date" in problem:
                return
        for b in self.blocks:
            # "*Bilan rédigé le 28 janvier 2026*": when the report was written.
            if b.kind == "line" and WRITTEN_ON_RE.search(norm(b.raw, numbering=False)):
                date, problem = parse_date(b.raw)
                if date and not problem:
                    self.report.audit_date = date
                    return
        for b in self.blocks:
            if b.kind in ("line", "heading", "item"):
                date, problem = parse_date(b.raw)
                if date and (not problem or "1st of the month" in problem):
                    self.report.audit_date = date
                    if problem:
                        self.report.warn(f"Date: {problem}.")
                    return
        if self.report.audit_date is None and not found:
            self.report.warn("No date found in the report; the audit date is left empty.")

    def _version(self) -> None:
        for rows in (False, True):
            for key, value, block in self.kv:
                if key in VERSION_KEYS and (block.kind == "row") == rows and re.search(r"\d", value):
                    version = re.split(r"\s+\(|\s+[—–-]\s+", value)[0].strip()
                    self.report.version = version[:100]
                    return
        # "AUDITORÍA INTEGRAL Tsubame v3.2": a version token in the title.
        m = re.search(r"(?<![\w.])v(\d+(?:\.\d+)+)\b", self.report.title)
        if m:
            self.report.version = m.group(1)

    # --- verdict ------------------------------------------------------------------------------------

    def _local(self, key: str, b: Block) -> bool:
        """A status under a sub-section ("### Auth" / "Status: PASS") is not the report's verdict."""
        if not b.headings or key not in LOCAL_STATUS_KEYS:
            return False
        inner = b.headings[-1]
        key = norm(inner.text)
        return (
            inner.level >= 3 and key not in SUMMARY_HEADINGS | CONCLUSION_HEADINGS and not is_verdict_key(key)
        )

    def _verdict(self) -> None:
        statements: list[tuple[str, bool, str]] = []  # (verdict, in production, sentence)
        labelled = [(k, v, b) for k, v, b in self.kv if b.kind != "row"] + [
            (k, v, b) for k, v, b in self.kv if b.kind == "row"
        ]
        recognised_label = None
        # Statuses under sub-sections: the verdict only when nothing else states one.
        local: list[tuple[str, bool, str]] = []
        verdict_blocks: set[int] = set()
        for key, value, block in labelled:
            if not is_verdict_key(key):
                continue
            verdict, in_production = map_verdict(value, key)
            if verdict is None:
                recognised_label = recognised_label or value
                continue
            self.report.verdict_stated = True
            verdict_blocks.add(id(block))
            (local if self._local(key, block) else statements).append((verdict, in_production, value))
        if not statements and local:
            statements.append(local[0])
        for i, b in enumerate(self.blocks):
            if b.kind == "heading" and is_verdict_key(norm(b.raw)):
                nxt = next((n for n in self.blocks[i + 1 : i + 3] if n.kind in ("line", "item")), None)
                if nxt is not None and len(norm(nxt.raw).split()) <= 8:
                    verdict, in_production = map_verdict(nxt.raw)
                    if verdict is not None:
                        statements.append((verdict, in_production, clean(nxt.raw, numbering=False)))
        first_heading = next(b for b in self.blocks if b.kind == "heading")
        for b in self.blocks:
            if b.kind not in ("line", "heading", "item") or b is first_heading:
                continue
            kv = KV_RE.match(clean(b.raw, numbering=False))
            if kv and NOT_STATED_KEY_RE.search(norm(kv.group(1))):
                continue  # "Computed gate: Not ready" is auditor's own reading, not the report's
            if id(b) in verdict_blocks:
                continue  # "Production ready: No" was read above as a labelled verdict
            for verdict, whole, _clause in phrase_verdicts(b.raw, self.report.project_name):
                if whole:
                    statements.append((verdict, False, clean(b.raw, numbering=False)))
        if not statements:
            if recognised_label:
                self.report.warn(
                    f"Verdict '{recognised_label}' is not a verdict the importer knows; left unknown."
                )
            else:
                self.report.warn("No verdict found in the report; left unknown.")
            return
        verdict, in_production, sentence = statements[0]
        opposite = next(
            (s for s in statements[1:] if polarity(s[0]) and polarity(s[0]) != polarity(verdict)), None
        )
        if opposite is not None and polarity(verdict):
            self.report.verdict, self.report.verdict_text = "unknown", sentence[:200]
            self.report.warn(
                f'Contradictory verdicts: the report says "{sentence[:200]}" and also '
                f'"{opposite[2][:200]}"; the verdict is left unknown.'
            )
            return
        self.report.verdict, self.report.verdict_text = verdict, sentence[:200]
        self.report.already_in_production = in_production

    # --- checklists ---------------------------------------------------------------------------------

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
            if text:
                by_key[key].items.append(
                    ParsedItem(
                        text=text[:500],
                        state=state,
                        section=(deeper[-1].text if deeper else "")[:200],
                        note=note,
                    )
                )

    # --- summary and the "is it a report" check ----------------------------------------------------

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
            or bool(r.stated_scores)
            or bool(r.scores)
            or r.stated_global is not None
            or bool(r.metrics)
        )
        placeholders = PLACEHOLDERS_RE.findall(self.text)
        if len(placeholders) >= 3 and not r.metrics and not any(s.score is not None for s in r.stated_scores):
            shown = ", ".join(dict.fromkeys(p.strip() for p in placeholders))
            raise ReportError(
                f"This file is a report template, not a report: {len(placeholders)} placeholders "
                f"({shown[:120]}) are not filled in."
            )
        weak = bool(r.checklists) or bool(r.findings)
        # A changelog or a README has dated headings and a title; a report says what it audits.
        identity = self.date_labelled or r.project_rule == "a 'Project:' line" or bool(r.version)
        if not strong and not (weak and identity):
            raise ReportError(
                "This file does not look like an audit report: no verdict, maturity score, metric, "
                "checklist or finding could be read from it."
            )


def parse_report(text: str, *, domains: Iterable[MaturityDomain], file_name: str = "") -> ParsedReport:
    """Read a (repaired) report text; `domains` are the MaturityDomain rows to map scores to."""
    return ReportParser(text, list(domains), file_name=file_name).parse()
