"""Reading the findings a report states.

Where: under headings naming problems (issues, vulnerabilities, findings, Schwachstellen, hallazgos,
criticità, bevindingen, ...) or severities ("CRITICAL ISSUES", "P0 BLOCKERS", "### High"), and
anywhere an item tags its own severity ("**[CRITIQUE]** ...", "[P0] ...", "(gravità: alta)").
Not under "what works" / strengths / points forts headings, nor in plans (recommendations, next
steps, action plans): those are actions, not findings. A "✅" item is a positive, not a finding.

Shapes: one finding per sub-heading ("### KRIT-01: ...", "### 1. Campaign writes are not atomic"
with a "Severity: CRITICAL | File: x.py:67" line below), per list item (nested items are its
details) or per table row (a title column and a severity column). Severity from the finding
itself, else the nearest heading, else medium with a warning. File and line when given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reports.markdown import Block, clean, norm
from reports.values import MAX_COUNT, deaccent, item_severity, severity_in, strip_severity
from reports.vocabulary import GOOD_RE, PLAN_RE, PROBLEM_RE, SEVERITY_ALT, SEVERITY_BY_WORD, SEVERITY_KEY_RE

if TYPE_CHECKING:
    from reports.parser import DomainIndex, ParsedReport

FIXED_WORDS = (
    "fixed", "resolved", "corrige", "corrigee", "corriges", "resolu", "resolue", "closed", "ferme",
    "behoben", "erledigt", "corregido", "resuelto", "risolto", "corretto", "corrigido", "resolvido",
    "opgelost", "gesloten", "done",
)  # fmt: skip
STATUS_WORDS = {
    **{w: "fixed" for w in FIXED_WORDS},
    **{
        w: "open"
        for w in ("open", "ouvert", "ouverte", "todo", "a corriger", "offen", "abierto", "aperto", "aberto")
    },
    **{
        w: "in_progress"
        for w in (
            "in progress",
            "en cours",
            "in bearbeitung",
            "en curso",
            "in corso",
            "em andamento",
            "in uitvoering",
        )
    },
    **{
        w: "accepted_risk"
        for w in (
            "accepted risk",
            "risque accepte",
            "accepted",
            "akzeptiert",
            "aceptado",
            "accettato",
            "aceito",
            "geaccepteerd",
        )
    },
    **{
        w: "false_positive"
        for w in ("false positive", "faux positif", "falsch positiv", "falso positivo", "vals positief")
    },
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
LINE_RE = re.compile(r"\b(?:line|ligne|l\.|zeile|linea|línea|riga|linha|regel)\s*(\d+)\b", re.IGNORECASE)
LOCATION_KEY_RE = re.compile(
    r"\b(file|files|fichier|location|emplacement|path|chemin|where|datei|ort|ubicacion|archivo|area|"
    r"posizione|percorso|localizacao|arquivo|bestand|locatie|locatie)\b"
)
STATUS_KEY_RE = re.compile(r"\b(status|statut|etat|estado|stato|zustand|stand)\b")
NONE_RE = re.compile(
    r"^\W*(none|aucun|aucune|rien|n/a|nothing|keine?|ninguno|ninguna|nessuno|nessuna|nenhum|nenhuma|geen)\W*$|"
    r"^\W*(no|none|aucun\w*|pas de|kein\w*|ningun\w*|nessun\w*|nenhum\w*|geen)\b.{0,40}"
    r"\b(issues?|problems?|problemes?|probleme|problemas?|problemi|findings?|befunde?|hallazgos?|"
    r"bevindingen|vulnerabilit\w*|blockers?|bloquants?|constats?)\b|"
    r"^\W*(no|none|aucun\w*|kein\w*|ningun\w*|nessun\w*|nenhum\w*|geen)\b.{0,40}"
    r"\b(found|identified|trouve\w*|identifie\w*|gefunden|festgestellt|encontrad\w*|identificad\w*|"
    r"rilevat\w*|trovat\w*|gevonden|vastgesteld)\b"
)
ID_PREFIX_RE = re.compile(
    r"^\s*(?:#?\d{1,3}[.)]?|[A-Z]{1,8}-?\d{1,4}|[A-Za-z]{1,10}\s*#\d{1,3})\s*[:.\-—–]?\s+"
)
# An item that opens with a warning or failure mark states a problem ("⚠️ Two modules share ...").
WARNING_MARK_RE = re.compile(r"^\s*(?:⚠️?|❌)")
RISK_RE = re.compile(
    r"\b(risks?|risques?|risiken|risiko|riesgos?|rischi|rischio|riscos?|risico s?|risicos)\b"
)
FIXED_RE = re.compile(rf"\b({'|'.join(FIXED_WORDS)}|resueltos?|resolvidos?|risolti|behoben)\b")
# "🔴 **CRÍTICOS:** 2 problemas", "Critici: 2 bug (15%)": a count of findings, not one.
COUNT_ITEM_RE = re.compile(r"^\W*(?:[^:：/.`]{1,40}[:：])?\s*\d+(?:\s+\w+)?\s*(?:\(\s*\d+\s*%\s*\))?\W*$")
LABEL_LINE_RE = re.compile(r"^\s*\W{0,3}\s*\*\*[^*]{2,60}\*\*\s*[:：]?\s*\W{0,3}\s*$")
POSITIVE_RE = re.compile(r"^\s*(✅|✔|✓|☑|👍|🟢\s*(?:ok|pass))")


@dataclass
class ParsedFinding:
    title: str
    severity: int
    status: str = "open"
    file_path: str = ""
    line: int | None = None
    description: str = ""
    section: str = ""


def _scope(block: Block, index: DomainIndex | None = None) -> str:
    """ "good", "plan", "problem" or "" for the headings above a block: a positive heading
    anywhere above wins; else the nearest heading that says. A heading that is a domain's name
    ("Gestion des erreurs", "Error handling") names no problem."""
    if any(GOOD_RE.search(norm(h.text)) for h in block.headings if h.level > 1):
        return "good"
    for h in reversed(block.headings):
        key = norm(h.text)
        if h.level == 1 or (index is not None and index.match(h.text, exact_only=True) is not None):
            continue  # the title ("AUDIT CRITIQUE ...") says what the document is, not a section
        if RISK_RE.match(key):
            return "plan"  # risks ("RISQUES MAJEURS", "Risk matrix") may happen; they are not findings
        if PROBLEM_RE.search(key) or severity_in(re.sub(r"\bpoints? faibles?\b", "", key)) is not None:
            return "problem"
        if PLAN_RE.search(key):
            return "plan"
    return ""


def _location(text: str) -> tuple[str, int | None]:
    for candidate in re.findall(r"`([^`]+)`", text) + [text]:
        loc = PATH_RE.search(candidate)
        if loc and ("/" in loc.group(1) or "." in loc.group(1)) and not loc.group(1).startswith("http"):
            line = int(loc.group(2)) if loc.group(2) else None
            if line is None:
                m = LINE_RE.search(text)
                line = int(m.group(1)) if m else None
            if line is not None and not 0 < line <= MAX_COUNT:
                line = None
            return loc.group(1)[:1000], line
    return "", None


class FindingsMixin:
    """Part of ReportParser: fills `report.findings`."""

    # Set by ReportParser.__init__.
    report: ParsedReport
    blocks: list[Block]
    index: DomainIndex

    def _findings(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        owner: tuple[int, ParsedFinding] | None = None
        item_indent: int | None = None
        # A bold label line over a list ("**Critical**", "**Criticità identificate:**", "**Strengths:**")
        # scopes the items below it like a heading would.
        label_scope, label_severity = "", None
        for i, b in enumerate(self.blocks):
            if b.kind == "heading":
                item_indent, label_scope, label_severity = None, "", None
                if owner is not None and b.level <= owner[0]:
                    owner = None
                if owner is None:
                    finding = self._finding_from_heading(i, b)
                    if finding is not None:
                        owner = (b.level, finding)
                        self._add_finding(finding)
                continue
            if owner is not None:
                self._detail(owner[1], b)
                continue
            if b.kind == "row":
                if _scope(b, self.index) not in ("good", "plan"):
                    self._add_finding(self._finding_from_row(b))
                continue
            if b.kind not in ("item", "line"):
                continue
            if b.kind == "line" and LABEL_LINE_RE.match(b.raw):
                key = norm(b.raw)
                label_severity = severity_in(key)
                label_scope = (
                    "good"
                    if GOOD_RE.search(key)
                    else "problem"
                    if PROBLEM_RE.search(key) or label_severity is not None
                    else ""
                )
                item_indent = None
                continue
            scope = label_scope or _scope(b, self.index)
            own = item_severity(b.raw)
            if own is None and b.kind == "item" and label_severity is not None:
                own = label_severity
            # A tagged item ("**[Média]** ...") is a finding even in a plan; an item opening with
            # ⚠️ or ❌ is one outside a problems section too (medium unless a heading says).
            marked = b.kind == "item" and WARNING_MARK_RE.match(b.raw) is not None
            if (
                scope == "good"
                or (scope == "plan" and own is None)
                or (scope == "" and own is None and not marked)
            ):
                continue
            if b.kind == "line" and own is None:
                continue  # prose under a problems heading describes; it is not one finding
            if b.kind == "item":
                if item_indent is None or b.level < item_indent:
                    item_indent = b.level
                if b.level > item_indent:
                    if self.report.findings and scope == "problem":
                        last = self.report.findings[-1]
                        last.description = (last.description + "\n" + clean(b.raw, numbering=False)).strip()[
                            :2000
                        ]
                    continue
            self._add_finding(self._finding_from_item(b, own))

    def _add_finding(self, finding: ParsedFinding | None) -> None:
        if finding is None:
            return
        key = (norm(finding.title), finding.file_path)
        if key not in self._seen:
            self._seen.add(key)
            self.report.findings.append(finding)

    # --- a finding written as a heading -----------------------------------------------------------

    def _finding_from_heading(self, index: int, b: Block) -> ParsedFinding | None:
        scope = _scope(b, self.index)
        if not b.headings or scope in ("good", "plan"):
            return None
        following = []
        for nxt in self.blocks[index + 1 : index + 12]:
            if nxt.kind == "heading":
                if nxt.level > b.level:
                    return None  # a group of findings written as deeper headings
                break
            following.append(nxt)
        severity = item_severity(b.raw)
        stated = severity is not None
        severity_line = next((s for s in map(self._severity_line, following) if s is not None), None)
        if severity_line is not None:
            severity, stated = severity_line, True
        elif any(n.kind == "item" and item_severity(n.raw) is not None for n in following):
            return None  # its items state their own severities: they are the findings
        elif following and following[0].kind in ("item", "row") and self._lists_findings(following[0]):
            return None  # "### P0 - BLOQUANTS" then a list: the list items are the findings
        numbered = bool(ID_PREFIX_RE.match(clean(b.raw, numbering=False)))
        prefixed = re.match(
            rf"^\W*[\[(]?\s*(?:{SEVERITY_ALT})\s*[\])]?\s*(?:[:—–]|-\s)\s*\w", deaccent(clean(b.raw))
        )
        if scope != "problem" and severity_line is None and not prefixed:
            return None  # elsewhere: "### 5. X" + "Priority: low", or "### Critical: X"
        if not stated and not numbered:
            return None  # "### High", "### Kritisch für Go-Live": a group, its items are the findings
        title = strip_severity(ID_PREFIX_RE.sub("", clean(b.raw, numbering=False)))
        title = re.sub(r"^(?:blocker|bloquant)\s*#?\d*\s*[:.\-—–]\s*", "", title, flags=re.I).strip(" *:-—–")
        if not title or (severity_in(title) is not None and len(norm(title).split()) <= 3 and not numbered):
            return None
        severity = self._severity_or_medium(severity, b, title)
        file_path, line = _location(b.raw)
        return ParsedFinding(
            title=title[:500],
            severity=severity,
            section=b.headings[-1].text if b.headings else "",
            file_path=file_path,
            line=line,
            status="fixed" if "~~" in b.raw else "open",
        )

    def _lists_findings(self, b: Block) -> bool:
        """The first block under a heading starts a list of findings (not its details)."""
        if b.kind == "row":
            return bool(self._problem_columns(b)[0] is not None)
        return not re.match(r"^\W*[^:：]{1,40}[:：]", clean(b.raw, numbering=False))

    @staticmethod
    def _severity_line(b: Block) -> int | None:
        """ "**Severity:** CRITICAL | **File:** x.py", "- **Prioridad:** 🔴 ALTA": a detail line."""
        if b.kind not in ("line", "item"):
            return None
        text = deaccent(clean(b.raw, numbering=False))
        m = re.search(rf"(?:^|\|)\W*{SEVERITY_KEY_RE.pattern}\s*[:=]\s*\W*\s*({SEVERITY_ALT})\b", text)
        # The severity word is the pattern's last group and is not optional: a match sets lastindex.
        if m is None or m.lastindex is None:
            return None
        return SEVERITY_BY_WORD[m.group(m.lastindex)]

    def _detail(self, finding: ParsedFinding, b: Block) -> None:
        text = (
            clean(b.raw, numbering=False)
            if b.kind != "row"
            else " ".join(clean(c, numbering=False) for c in b.cells)
        )
        for part in re.split(r"\s+\|\s+", text):
            m = re.match(r"^([^:：]{1,40}?)\s*[:：]\s*(.*)$", part)
            key = norm(m.group(1)) if m else ""
            if m and LOCATION_KEY_RE.search(key) and not finding.file_path:
                finding.file_path, finding.line = _location(m.group(2))
                continue
            if m and STATUS_KEY_RE.search(key):
                finding.status = STATUS_WORDS.get(norm(m.group(2), numbering=False), finding.status)
                continue
            if m and SEVERITY_KEY_RE.search(key):
                continue
            if part and len(finding.description) < 2000:
                finding.description = (finding.description + "\n" + part).strip()
        if not finding.file_path and b.kind in ("line", "item") and "`" in b.raw:
            path, line = _location(b.raw)
            if path and "/" in path:
                finding.file_path, finding.line = path, line

    def _severity_or_medium(self, severity: int | None, b: Block, title: str) -> int:
        if severity is None:
            severity = self._severity_from_headings(b)
        if severity is None:
            severity = 2
            self.report.warn(f"Finding '{title[:80]}': no severity stated; medium assumed.")
        return severity

    def _severity_from_headings(self, block: Block) -> int | None:
        for h in reversed([h for h in block.headings if h.level > 1]):
            level = severity_in(re.sub(r"\bpoints? faibles?\b", "", norm(h.text)))
            if level is not None:
                return level
        return None

    # --- a finding written as a list item or a tagged line -----------------------------------------

    def _finding_from_item(self, b: Block, severity: int | None) -> ParsedFinding | None:
        raw = b.raw.strip()
        plain = norm(raw, numbering=False)
        if NONE_RE.match(plain) or POSITIVE_RE.match(raw) or COUNT_ITEM_RE.match(clean(raw, numbering=False)):
            return None
        if re.match(rf"^\W*{SEVERITY_KEY_RE.pattern}\W*[:：]", deaccent(clean(raw, numbering=False))):
            return None  # "Prioridad: BAJA" describes the finding above
        parts = re.split(r"\s+—\s+", raw)
        title_raw, rest = parts[0], parts[1:]
        description, status = "", "open"
        file_path, line = "", None
        bold = re.match(r"^\W*\*\*(.+?)\*\*\s*(?:[:：]|\s[-–→]\s)\s*(.+)$", title_raw)
        if bold and not rest and item_severity(bold.group(1)) is None:
            title_raw, description = bold.group(1), bold.group(2)
        for part in rest:
            key = norm(part, numbering=False)
            ticked = re.fullmatch(r"`([^`\s]+?)(?::(\d{1,9}))?`", part.strip())
            loc = PATH_RE.search(part.strip("` "))
            if key in STATUS_WORDS:
                status = STATUS_WORDS[key]
            elif ticked:
                file_path, line = ticked.group(1), int(ticked.group(2)) if ticked.group(2) else None
            elif loc and loc.group(0) == part.strip("` "):
                file_path, line = loc.group(1), int(loc.group(2)) if loc.group(2) else None
            elif not re.match(rf"^\W*{SEVERITY_KEY_RE.pattern}", deaccent(part)):
                description = (description + " " + clean(part, numbering=False)).strip()
        if "~~" in title_raw or re.search(
            r"\((?:fixed|resolved|corrige|corrigee|resolu|resolue|behoben|corregido|risolto|opgelost)\)",
            deaccent(raw),
        ):
            status = "fixed"
        if not file_path:
            file_path, line = _location(raw)
        title = strip_severity(clean(title_raw, numbering=False))
        title = re.sub(r"^\s*[\[(]\s*[A-Z]{1,8}-?\d{1,4}\s*[\])]\s*", "", title)
        title = re.sub(r"\s*\((?:fixed|resolved|corrigée?|résolue?)\)\s*$", "", title, flags=re.I).strip()
        title = re.sub(
            r"\s*[\[(](?:blocker|bloquant|deployment blocker)[\])]\s*", " ", title, flags=re.I
        ).strip()
        if file_path:
            title = re.sub(
                rf"\s+(?:in|dans|at|à|from|de|en|in|im|nel|no|em)\s+\(?{re.escape(file_path)}(?::\d+(?:-\d+)?)?\)?"
                rf"(?:,?\s*(?:line|ligne|l\.)\s*\d+)?\s*\.?$",
                "",
                title,
                flags=re.I,
            ).strip()
            title = re.sub(rf"\s*\(?{re.escape(file_path)}(?::\d+(?:-\d+)?)?\)?\s*\.?$", "", title).strip()
        title = title.strip(" *:-—–")
        if not title:
            return None
        severity = self._severity_or_medium(severity, b, title)
        return ParsedFinding(
            title=title[:500],
            severity=severity,
            status=status,
            file_path=file_path[:1000],
            line=line,
            description=description[:2000],
            section=b.headings[-1].text if b.headings else "",
        )

    # --- a finding written as a table row ------------------------------------------------------------

    @staticmethod
    def _problem_columns(b: Block) -> tuple[int | None, int | None]:
        """(title column, severity column) of a table of findings."""
        header = [norm(h) for h in b.header]

        def column(pattern: str) -> int | None:
            return next((i for i, h in enumerate(header) if re.search(pattern, h)), None)

        title_col = column(
            r"\b(title|titre|titel|titulo|titolo|issue|problem|probleme|problema|finding|befund|"
            r"bevinding|hallazgo|constat|vulnerabilit|schwachstelle|description|descripcion|"
            r"descrizione|descricao|beschreibung|omschrijving|faille|bug|remark|remarque|"
            r"opmerking|osservazione|observacao|achado|rilievo)"
        )
        severity_col = column(
            r"\b(severity|severite|gravite|criticite|priority|priorite|schweregrad|severidad|"
            r"gravedad|prioridad|gravita|priorita|severidade|gravidade|prioridade|prioriteit|ernst)\b"
        )
        if severity_col is None and title_col is not None:
            # "| Issue | Risk |" with High / Medium in the cells: the risk level is the severity.
            risk_col = column(r"^(risk|risque|riesgo|rischio|risco|risico|risiko)$")
            if (
                risk_col is not None
                and risk_col < len(b.cells)
                and severity_in(b.cells[risk_col]) is not None
            ):
                severity_col = risk_col
        return title_col, severity_col

    def _finding_from_row(self, b: Block) -> ParsedFinding | None:
        header = [norm(h) for h in b.header]
        if not header:
            return None

        def column(pattern: str) -> int | None:
            return next((i for i, h in enumerate(header) if re.search(pattern, h)), None)

        title_col, severity_col = self._problem_columns(b)
        scope = _scope(b, self.index)
        if severity_col is None and (title_col is None or scope != "problem"):
            return None
        if severity_col is None:
            assert title_col is not None  # else returned just above
            # | Problema | Antes | Después | Estado | under "PROBLEMAS CRÍTICOS": one finding per row
            title = clean(b.cells[title_col], numbering=False) if title_col < len(b.cells) else ""
            severity = self._severity_from_headings(b)
            if not title or severity is None:
                return None
            status = "fixed" if "✅" in b.raw or FIXED_RE.search(norm(b.raw)) else "open"
            return ParsedFinding(
                title=title[:500], severity=severity, status=status, section=b.headings[-1].text
            )
        if title_col is None and scope != "problem":
            return None
        if title_col is None:
            title_col = next(
                (
                    i
                    for i in range(len(b.cells))
                    if i != severity_col and not re.fullmatch(r"\W*[\w-]{1,8}\W*", clean(b.cells[i]))
                ),
                0,
            )

        def cell(i: int | None) -> str:
            return clean(b.cells[i], numbering=False) if i is not None and i < len(b.cells) else ""

        title = cell(title_col)
        severity = severity_in(cell(severity_col))
        if not title or severity is None:
            return None
        file_col = column(
            r"\b(file|fichier|location|emplacement|path|chemin|datei|archivo|file|arquivo|bestand)\b"
        )
        line_col = column(r"\b(line|ligne|zeile|linea|riga|linha|regel)\b")
        status_col = column(r"\b(status|statut|etat|estado|stato|zustand)\b")
        file_path, line = ("", None)
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
        if status_col is not None and "✅" in (b.cells[status_col] if status_col < len(b.cells) else ""):
            status = "fixed"
        return ParsedFinding(
            title=title[:500],
            severity=severity,
            status=status,
            file_path=file_path[:1000],
            line=line,
            section=b.headings[-1].text if b.headings else "",
        )
