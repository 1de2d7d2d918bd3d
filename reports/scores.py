"""Reading stated scores: every mark a report gives, kept, mapped to a maturity domain when its
label names one.

A score is a number with a scale: "7/10", "84/100", "16/20", "12/15", "3.5 / 5.0", a number in a
column headed Score / Note / Punteggio / Beoordeling (the header may give the scale, "/20", "(/5)"),
stars ("★★★☆☆"), or a letter grade when the report gives its letter scale. Brought to 0–10. Not a
score: risk scores, CVSS, confidence, likelihood, progress, weights, targets and estimates,
"0/10 categories". Before → after keeps after and records before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from reports.markdown import Block, clean, norm, strip_emoji
from reports.metrics import structured_pairs
from reports.values import (
    BARE_SCORE_RE,
    HEADER_SCALE_RE,
    LETTER_RE,
    NOT_MEASURED_RE,
    SCORE_RE,
    TEN,
    parse_score,
    stars_score,
    to_decimal,
)
from reports.verdicts import is_verdict_key
from reports.vocabulary import (
    AFTER_RE,
    BEFORE_RE,
    COUNT_NOUN_RE,
    GENERIC_SCORE_LABELS,
    GLOBAL_RE,
    NOT_A_SCORE_RE,
    SCORE_HEADER_RE,
    SUMMARY_HEADINGS,
)

if TYPE_CHECKING:
    from reports.parser import DomainIndex, ParsedReport

INCONSISTENCY_TOLERANCE = Decimal("0.1")
RISK_HEADER_RE = re.compile(
    r"\b(risk|risque|risiko|riesgo|rischio|risco|risico|likelihood|probability|probabilite|"
    r"probabilidad|probabilita|probabilidade|wahrscheinlichkeit|kans|cvss|confidence)\b"
)
ID_CELL_RE = re.compile(r"^\s*(#|n°|nr|no)?\s*\d{1,3}[.)]?\s*$|^\s*[A-Z]{1,6}-?\d{1,4}\s*$", re.IGNORECASE)
LABEL_TAIL_RE = re.compile(
    r"[\s:=\-—–|(.…]*(?:\b(?:score|scores|note|grade|rating|punteggio|puntuacion|puntuación|"
    r"calificacion|calificación|bewertung|nota|pontuação|pontuacao|cijfer|voto)\b)?[\s:=\-—–|(.…]*"
    r"(?:\b[A-F][+-]?\s*\(?\s*)?$",
    re.IGNORECASE,
)
LABEL_HEAD_RE = re.compile(
    r"^(?:score|note|puntuaci[oó]n|calificaci[oó]n|punteggio|pontua[cç][aã]o|nota|bewertung|"
    r"beoordeling|voto)\s+(?:de|del|de la|di|do|da|der|des|du|van|of|for)\s+",
    re.IGNORECASE,
)
MAX_HEADER_RE = re.compile(
    r"max|maximum|max score|max points|maximal|maximo|massimo|maximum score|out of|sur|von|bareme"
)
PERCENT_SCORE_RE = re.compile(
    r"^\W*([^:：%]{0,60}\b(?:score|rating|grade|note|punteggio|puntuaci[oó]n|pontua[cç][aã]o|"
    r"bewertung|cijfer|skor|nilai|pontsz[aá]m|ocena)\b[^:：%\d]{0,20})[:：]?\s*\W{0,3}\s*(\d{1,3}(?:[.,]\d)?)\s*%",
    re.IGNORECASE,
)
TREE_RE = re.compile(r"^[\s│|]*[├└┣┗+`]\s*[─━-]+\s*")


def _plain_cell(cell: str) -> str:
    """A cell without emphasis or emoji but with its signs ("A-" stays "A-")."""
    return strip_emoji(re.sub(r"[*_`]", "", cell)).strip()


@dataclass
class ParsedScore:
    domain_id: int
    domain_name: str
    score: Decimal | None
    label: str
    stated: str


@dataclass
class StatedScoreValue:
    """One mark as the report states it (mapped to a domain or not)."""

    label: str
    score: Decimal | None
    scale: str
    raw: str
    before: Decimal | None = None
    domain_id: int | None = None
    domain_name: str = ""


class ScoresMixin:
    """Part of ReportParser: fills `report.stated_scores`, `report.scores`, `report.stated_global`."""

    # Set by ReportParser.__init__.
    report: ParsedReport
    blocks: list[Block]
    index: DomainIndex
    weights: dict[int, Decimal]
    letter_scale: dict[str, Decimal]

    def _scores(self) -> None:
        self.letter_scale = self._letter_scale()
        title_seen = False
        for b in self.blocks:
            if b.kind == "row":
                self._score_from_row(b)
            elif b.kind in ("line", "item", "heading"):
                is_title = b.kind == "heading" and not title_seen
                title_seen = title_seen or b.kind == "heading"
                self._scores_in_text(clean(b.raw, numbering=False), b, is_title=is_title)
            elif b.kind == "code":
                self._scores_in_code(b)
                for key, value in structured_pairs(b):
                    if re.search(r"\bscore\b", key) and re.fullmatch(r"\d{1,3}(?:[.,]\d+)?", value.strip()):
                        scale = "100" if (to_decimal(value) or 0) > TEN else None
                        self._add_score(key, value, value, scale, b, code=True)
        self._weighted_mean()

    # --- where scores are written ----------------------------------------------------------------

    def _scores_in_text(self, text: str, b: Block, *, is_title: bool = False, code: bool = False) -> None:
        previous: StatedScoreValue | str | None
        m: re.Match[str] | None
        previous_end, previous, matched = 0, None, False
        for m in SCORE_RE.finditer(text):
            after = text[m.end() :]
            between = text[previous_end : m.start()]
            if COUNT_NOUN_RE.match(after) or len(between) > 80:
                previous_end = m.end()
                continue
            if matched and re.fullmatch(r"\s*\(?\s*", between):
                previous_end = m.end()
                continue  # "94/100 (9.4/10)": the same mark on another scale
            if matched and re.search(r"→|->|⇒|=>", between):
                self._replace_with_after(previous, m)  # "6.6/10 → 8.1/10" keeps 8.1
                previous_end = m.end()
                continue
            # The label is the last clause before the mark: "... this quarter. Overall maturity: 3.2/5".
            label = re.sub(
                r"^[\s,;|/]+",
                "",
                re.split(r"(?<=[\w%)])[.;!?]\s+(?=[^\W\d_])", re.sub(r"\s*\.{2,}\s*", " ", between))[-1],
            )
            if is_title:
                if self.report.stated_global is None:
                    self._add_score("global", m.group(0), m.group(1), m.group(2), b)
                previous = "global"
            else:
                previous = self._add_score(
                    label, m.group(0), m.group(1), m.group(2), b, code=code, tail=after
                )
                if previous is None and self.report.stated_global == parse_score(m.group(1), m.group(2)):
                    previous = "global"
            previous_end, matched = m.end(), True
        if not matched and not is_title:
            # "Overall Score: 78%": a percentage is a mark only when its label says score.
            m = PERCENT_SCORE_RE.search(text)
            if m and not NOT_A_SCORE_RE.search(norm(m.group(1))):
                self._add_score(m.group(1), m.group(0), m.group(2), "%", b, code=code)

    def _scores_in_code(self, b: Block) -> None:
        """A tree drawn in a code block ("├─ APIs y rutas ..... 6.0/10") lists scores."""
        for line in b.raw.split("\n"):
            if TREE_RE.match(line):
                text = TREE_RE.sub("", line)
                text = re.sub(r"\s*\.{3,}\s*", ": ", text)
                self._scores_in_text(clean(text, numbering=False), b, code=True)

    def _score_from_row(self, b: Block) -> None:
        if len(b.cells) < 2 or any(RISK_HEADER_RE.search(norm(h)) for h in b.header):
            return
        label_index = next(
            (
                i
                for i, c in enumerate(b.cells)
                if clean(c) and not ID_CELL_RE.match(clean(c, numbering=False))
            ),
            0,
        )
        label = b.cells[label_index]
        if LETTER_RE.match(_plain_cell(label)) and self.letter_scale:
            return  # a row of the report's letter scale
        columns = [
            i
            for i, h in enumerate(b.header)
            if i != label_index and SCORE_HEADER_RE.search(norm(h)) and not self._not_a_score_header(h)
        ]
        after = [i for i in columns if AFTER_RE.search(norm(b.header[i]))]
        before = [i for i in columns if BEFORE_RE.search(norm(b.header[i]))]
        ordered = after + [i for i in columns if i not in after and i not in before]
        before_value = self._cell_score(b, before[0])[0] if before and after else None
        max_col = next((i for i, h in enumerate(b.header) if MAX_HEADER_RE.fullmatch(norm(h))), None)
        row_max = (
            clean(b.cells[max_col], numbering=False) if max_col is not None and max_col < len(b.cells) else ""
        )
        for i in ordered:
            if i >= len(b.cells):
                continue
            score, raw, scale = self._cell_score(
                b, i, row_max=row_max if re.fullmatch(r"\d{1,3}", row_max) else None
            )
            if raw is None:  # (None, None, ""): no score in this cell
                continue
            if raw == "not measured":
                domain = self.index.match(label)
                if domain is not None and domain.pk not in self.report.scores:
                    self.report.scores[domain.pk] = ParsedScore(
                        domain.pk, domain.name, None, clean(label), clean(b.cells[i])
                    )
                return
            self._add_score(label, raw, None, scale, b, value=score, before=before_value)
            return
        if [i for i in columns if i not in before and i < len(b.cells) and clean(b.cells[i])]:
            return
        found: list[tuple[str, re.Match[str]]] = []  # (column, match): cells written "7/10", "84/100"
        for i in range(label_index + 1, len(b.cells)):
            text = clean(b.cells[i], numbering=False)
            m = SCORE_RE.search(text)
            header = b.header[i] if i < len(b.header) else ""
            if m and not COUNT_NOUN_RE.match(text[m.end() :]) and not self._not_a_score_header(header):
                found.append((norm(header), m))
        if not found:
            return
        after_marks = [m for h, m in found if AFTER_RE.search(h)]
        before_marks = [m for h, m in found if BEFORE_RE.search(h)]
        mark = after_marks[-1] if after_marks and before_marks else found[0][1]  # the latest "after" column
        before_value = (
            parse_score(before_marks[0].group(1), before_marks[0].group(2))
            if after_marks and before_marks
            else None
        )
        self._add_score(label, mark.group(0), mark.group(1), mark.group(2), b, before=before_value)

    def _cell_score(
        self, b: Block, i: int, row_max: str | None = None
    ) -> tuple[Decimal | None, str | None, str]:
        """(score on 0–10, raw text, scale) of a score cell; (None, None, "") when it has none."""
        raw_cell = b.cells[i] if i < len(b.cells) else ""
        stars = stars_score(raw_cell)
        if stars:
            return stars[0], stars[1], "stars"
        cell = clean(raw_cell, numbering=False)
        found = HEADER_SCALE_RE.search(norm(b.header[i])) if i < len(b.header) else None
        header_scale = row_max or (found.group(1) if found else None)
        m = BARE_SCORE_RE.match(cell)
        if m:
            scale = m.group(2).replace(" ", "").lstrip("/") if m.group(2) else header_scale
            if scale is None and (to_decimal(m.group(1)) or 0) > TEN:
                scale = "100"
            return parse_score(m.group(1), scale), cell, scale or "10"
        m = SCORE_RE.search(cell)
        if m:
            return parse_score(m.group(1), m.group(2)), m.group(0), m.group(2)
        letter = re.match(r"^\s*([A-F][+-]?)(?![\w+-])", _plain_cell(raw_cell))
        if letter and self.letter_scale.get(letter.group(1)) is not None:
            return self.letter_scale[letter.group(1)], _plain_cell(raw_cell), "letter"
        if cell and NOT_MEASURED_RE.match(norm(cell, numbering=False) or "-"):
            return None, "not measured", ""
        return None, None, ""

    @staticmethod
    def _not_a_score_header(header: str) -> bool:
        key = norm(header)
        return bool(NOT_A_SCORE_RE.search(key)) and not AFTER_RE.search(key) and not BEFORE_RE.search(key)

    def _letter_scale(self) -> dict[str, Decimal]:
        """The report's letter scale: a table whose rows are a letter and its value."""
        scale: dict[str, Decimal] = {}
        for b in self.blocks:
            if b.kind != "row" or len(b.cells) < 2:
                continue
            letter = LETTER_RE.match(_plain_cell(b.cells[0]))
            if not letter or not b.header:
                continue
            value = BARE_SCORE_RE.match(clean(b.cells[1], numbering=False))
            if value:
                found = HEADER_SCALE_RE.search(norm(b.header[1])) if len(b.header) > 1 else None
                score = parse_score(value.group(1), found.group(1) if found else value.group(2))
                if score is not None:
                    scale[letter.group(1)] = score
        return scale

    # --- one stated score -------------------------------------------------------------------------

    def _label_of(self, label: str) -> str:
        label = clean(label, numbering=True)
        label = LABEL_TAIL_RE.sub("", label).strip(" :=-—–|(.…*")
        label = LABEL_HEAD_RE.sub("", label)
        return label.strip()

    def _generic_owner(self, b: Block) -> tuple[str, bool]:
        """For "Score: 7/10": (label from the heading above, is the global score)."""
        for h in reversed(b.headings):
            key = norm(h.text)
            if (
                GLOBAL_RE.search(key)
                or key in SUMMARY_HEADINGS
                or is_verdict_key(key.split(" ")[0] if key else "")
            ):
                return "", True
            if is_verdict_key(norm(re.split(r"[:：]", h.text)[0])):
                return "", True
            if self.index.match(h.text) is not None:
                return h.text, False
            if h.level >= 2 and key and not NOT_A_SCORE_RE.search(key):
                return h.text, False
        return "", True

    def _add_score(
        self,
        label: str,
        stated: str,
        number: str | None,
        scale: str | None,
        block: Block,
        *,
        value: Decimal | None = None,
        before: Decimal | None = None,
        code: bool = False,
        tail: str = "",
    ) -> StatedScoreValue | None:
        score = value if number is None else parse_score(number, scale)
        if number is not None and score is None:
            return None  # "12/13" is a count, not a mark
        written = clean(label)
        key = norm(written)
        if "%" in written:
            return None  # "RLS enabled on 100% of tables (10/10)": a count, not a mark
        context = " ".join(norm(h.text) for h in block.headings[-1:])
        if NOT_A_SCORE_RE.search(key) or (context and RISK_HEADER_RE.search(context)):
            return None
        if BEFORE_RE.search(key) and not AFTER_RE.search(key):
            return None  # "Previous score: 14/50": the value it was, not the audit's
        if score is not None and not (0 <= score <= TEN):
            self.report.warn(f"Score '{written or '?'}' ({stated}) is outside 0–10; not imported.")
            return None
        name = self._label_of(
            re.sub(AFTER_RE.pattern, " ", label, flags=re.I) if AFTER_RE.search(key) else label
        )
        name_key = norm(name)
        is_global = bool(GLOBAL_RE.search(name_key)) and self.index.match(name, exact_only=True) is None
        if not name_key or name_key in GENERIC_SCORE_LABELS:
            if code or GLOBAL_RE.search(norm(tail[:30])):
                owner, is_global = "", True
            else:
                owner, is_global = self._generic_owner(block)
            if owner:
                name = self._label_of(owner)
                name_key = norm(name)
                if any(s.score == score and norm(s.label) in name_key for s in self.report.stated_scores):
                    return None  # "### Auth" + "Score: 18/20" restates the table row "Auth 18/20"
        if is_global:
            if self.report.stated_global is None and score is not None:
                self.report.stated_global = score
                self.report.stated_global_before = before
            return None
        for existing in self.report.stated_scores:
            if norm(existing.label) == name_key:
                if existing.score != score:
                    self.report.warn(
                        f"'{name}' is scored twice ({existing.raw} and {clean(stated)}); the first is kept."
                    )
                return None
        domain = self.index.match(name)
        entry = StatedScoreValue(
            label=name[:200], score=score, scale=str(scale or "10"), raw=clean(stated)[:100], before=before
        )
        self.report.stated_scores.append(entry)
        if domain is None:
            self.report.warn(
                f"Score '{name}' ({clean(stated)}) matches no maturity domain; kept as a stated score "
                "of the audit."
            )
            return entry
        domain_score = self.report.scores.get(domain.pk)
        if domain_score is not None:
            self.report.warn(
                f"{domain.name} is scored twice ({domain_score.stated} and {clean(stated)}); the first is "
                f"kept for the domain, '{name}' stays a stated score."
            )
            return entry
        entry.domain_id, entry.domain_name = domain.pk, domain.name
        self.report.scores[domain.pk] = ParsedScore(domain.pk, domain.name, score, name, clean(stated))
        return entry

    def _replace_with_after(self, previous: StatedScoreValue | str | None, m: re.Match[str]) -> None:
        after = parse_score(m.group(1), m.group(2))
        if after is None or not (0 <= after <= TEN):
            return
        if previous == "global":
            self.report.stated_global_before, self.report.stated_global = self.report.stated_global, after
            return
        if not isinstance(previous, StatedScoreValue):
            return
        previous.before, previous.score, previous.raw = previous.score, after, m.group(0)
        if previous.domain_id is not None:
            parsed = self.report.scores[previous.domain_id]
            parsed.score, parsed.stated = after, m.group(0)

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
