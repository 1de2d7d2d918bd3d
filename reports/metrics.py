"""Reading stated metrics: test counts, coverage, security issues by severity, files, lines of code,
warnings, response time and availability. From key/value lines, tables (one metric per row, or
one suite per row with Passed / Failed columns), YAML or JSON code blocks and, last, prose.
Numbers in any locale ("1.204", "1 208", "61,5 %"); "165/183 passing" is 165 passed.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from reports.markdown import Block, clean, norm
from reports.values import (
    MAX_COUNT,
    deaccent,
    parse_count,
    parse_duration,
    parse_milliseconds,
    parse_percent,
    severity_in,
    to_decimal,
)
from reports.vocabulary import BEFORE_RE, NOT_A_SCORE_RE, PLAN_RE, SEVERITY_ALT, SEVERITY_BY_WORD

if TYPE_CHECKING:
    from reports.parser import ParsedReport

# A metric as read: a count, a percentage, a duration, or the text of an unknown metric.
MetricValue = int | float | Decimal | str

TEST_OUTCOMES = {
    "tests_passed": (
        "passed|passing|successful|succeeded|reussis|reussi|reussies|passent|passes|bestanden|"
        "erfolgreich|aprobadas|aprobados|aprobada|exitosas|exitosos|pasadas|pasan|superati|superate|"
        "passati|riusciti|aprovados|aprovadas|passaram|passando|geslaagd|geslaagde|lulus|berhasil|"
        "sikeres|zaliczone|udane|przeszlo"
    ),
    "tests_failed": (
        "failed|failing|failures|failure|echoues|echoue|echec|echecs|en echec|fehlgeschlagen|"
        "fehlerhaft|fallidas|fallidos|fallaron|fallan|falliti|fallite|falliscono|reprovados|reprovadas|"
        "falharam|falhas|falhando|mislukt|gefaald|mislukte|gagal|sikertelen|nieudane|oblane"
    ),
    "tests_skipped": (
        "skipped|skip|skips|ignored|pending|ignores|ignore|sautes|ubersprungen|uebersprungen|"
        "omitidas|omitidos|saltati|saltate|ignorati|pulados|ignorados|overgeslagen|dilewati|"
        "kihagyott|pominiete"
    ),
    "tests_errors": "errors|error|erreurs|errored|fehler|errores|errori|erros|fouten",
}
TEST_KEY_RE = re.compile(
    r"\b(tests?|testes|testen|testlauf|testsuite|test suite|suite de tests|suite|pytest|phpunit|jest|"
    r"vitest|mocha|playwright|cypress|junit|rspec|pruebas?|prove|test automatici|testes automatizados|"
    r"unit|integration|unitaires?|integracion|testresultaten|testergebnis\w*|resultados|tests unitaires|"
    r"esecuzione test|testlauf|cargo test|go test|pengujian|uji|tesztek|teszt|testy)\b"
)
GENERIC_TEST_KEYS = {
    "test", "tests", "test results", "tests results", "test result", "test suite", "tests run",
    "testes", "testen", "testlauf", "pruebas", "prove", "total", "gesamt", "totale", "totaal",
    "suite de tests", "resultats des tests", "testergebnisse", "resultados de pruebas", "test run",
    "all tests", "tous les tests", "tests automatises", "test automatici",
}  # fmt: skip
COVERAGE_KEY_RE = re.compile(
    r"\b(coverage|couverture|abdeckung|testabdeckung|cobertura|copertura|dekking|testdekking|cakupan|"
    r"lefedettseg|pokrycie)\b"
)
BRANCH_RE = re.compile(r"\b(branch|branches|branche|zweig\w*|ramas?|rami|ramo|ramos|takken|tak)\b")
SECURITY_KEY_RE = re.compile(
    r"\b(security|securite|sicherheit|seguridad|sicurezza|seguranca|beveiliging|vulnerabilit\w*|"
    r"vulns?|bandit|safety|sast|failles?|npm audit|pip audit|audit|schwachstellen|kwetsbaarheden|"
    r"severity|severidad|severite|schweregrad|gravita|severidade|issues|findings|problemes|"
    r"problemas|problemi|problemen|probleme|befunde|hallazgos|bevindingen)\b"
)
FILES_KEY_RE = re.compile(r"\b(files?|fichiers?|dateien|archivos|ficheros|arquivos|bestanden)\b")
LOC_KEY_RE = re.compile(
    r"\b(lines of code|loc|sloc|lignes de code|lignes|codezeilen|zeilen|lineas de codigo|lineas|"
    r"righe di codice|righe|linhas de codigo|linhas|regels code|regels|code lines|total lines|"
    r"lines analyzed|lines|baris kode|baris|kodsorok|kodsor|sorok|linie kodu|linii kodu)\b"
)
WARNINGS_KEY_RE = re.compile(r"(warn|avertissement|advertencia|avvis|aviso|waarschuwing)")
METRIC_TABLE_HEADERS = {
    "metric", "metrics", "metrique", "metriques", "indicator", "indicators", "indicateur",
    "indicateurs", "kpi", "kpis", "mesure", "measure", "kennzahl", "kennzahlen", "metrica",
    "metricas", "metriche", "indicatore", "indicatori", "kengetal", "kengetallen", "indicador",
    "indicadores", "metrik", "metriken", "metriek",
}  # fmt: skip
SEVERITY_TABLE_HEADERS = {
    "severity", "severite", "gravite", "criticite", "niveau", "level", "schweregrad", "severidad",
    "gravedad", "gravita", "severidade", "ernst", "prioriteit", "nivel", "livello",
}  # fmt: skip


def _outcome_pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![\d/.,])(\d{{1,3}}(?:[ \u202f\u00a0.,]\d{{3}})+|\d+)\s*"
        rf"(?:/\s*(?:\d{{1,3}}(?:[ \u202f\u00a0.,]\d{{3}})+|\d+)\s*)?"
        rf"(?:tests?\s+|tests?\s+sont\s+)?(?:{TEST_OUTCOMES[name]})\b"
    )


OUTCOME_RES = {name: _outcome_pattern(name) for name in TEST_OUTCOMES}
OUTCOME_WORD_RES = {name: re.compile(rf"\b({words})\b") for name, words in TEST_OUTCOMES.items()}


class MetricsMixin:
    """Part of ReportParser: fills `report.metrics` and `report.extra_metrics`."""

    # Set by ReportParser.__init__.
    report: ParsedReport
    blocks: list[Block]
    kv: list[tuple[str, str, Block]]

    def _set_metric(self, name: str, value: MetricValue | None) -> None:
        if value is None or name in self.report.metrics:
            return
        if isinstance(value, int) and value > MAX_COUNT:
            self.report.warn(
                f"Metric {name.replace('_', ' ')} ({value}) is too large to be true; not imported."
            )
            return
        self.report.metrics[name] = value

    def _metrics(self) -> None:
        self.test_statements: list[tuple[str, dict[str, int], bool]] = []
        metric_tables = {
            b.table_id
            for b in self.blocks
            if b.kind == "row" and b.header and norm(b.header[0]) in METRIC_TABLE_HEADERS
        }
        for key, value, block in self.kv:
            if (
                block.kind == "row"
                and len(block.cells) > 2
                and not any(BEFORE_RE.search(norm(h)) for h in block.header)
            ):
                value = " ".join(clean(c, numbering=False) for c in block.cells[1:])
            mapped = self._metric_from_kv(key, value, block)
            if not mapped and block.kind == "row" and block.table_id in metric_tables:
                self._extra_metric(block, value)
        for b in self.blocks:
            if b.kind == "code":
                for key, value in structured_pairs(b):
                    self._metric_from_kv(key, value, b, bare=True)
            elif b.kind == "row":
                self._suite_row(b)
                self._severity_row(b)
        self._prose_metrics()
        self._tool_output_metrics()
        self._merge_test_statements()

    def _tool_output_metrics(self) -> None:
        """Pasted tool output, read last: a test runner's summary line ("=== 203 passed, 7 failed
        in 3.2s ===", "Tests: 2 failed, 140 passed, 142 total") and coverage.py's TOTAL line."""
        for b in self.blocks:
            if b.kind != "code" or structured_pairs(b):
                continue
            for line in b.raw.split("\n"):
                plain = deaccent(line)
                if not self.test_statements:
                    counts = self._test_counts(plain)
                    if "tests_passed" in counts:
                        self._add_test_statement("tool output", counts)
                m = re.match(r"^\s*TOTAL\s+[\d\s]+?(\d{1,3}(?:\.\d+)?)%\s*$", line)
                if m:
                    self._set_metric("coverage_percent", parse_percent(m.group(1) + "%"))

    def _extra_metric(self, block: Block, value: str) -> None:
        label = clean(block.cells[0])
        if not label or label.lower() in self.report.extra_metrics or re.search(r"\d\s*/\s*\d", value):
            return
        number = parse_count(value)
        self.report.extra_metrics[label] = number if number is not None else clean(block.cells[1])
        self.report.warn(
            f"Metric '{label}' ({clean(block.cells[1])}) is not a known metric; kept as-is in the "
            "extra metrics."
        )

    # --- tests ------------------------------------------------------------------------------------

    def _test_counts(self, plain: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, pattern in OUTCOME_RES.items():
            m = pattern.search(plain)
            if m:
                count = parse_count(m.group(1).strip())
                if count is not None:
                    counts[name] = count
        return counts

    def _merge_test_statements(self) -> None:
        statements = self.test_statements
        if not statements:
            return
        generic = [counts for key, counts, is_generic in statements if is_generic]
        for name in TEST_OUTCOMES:
            with_it = [counts[name] for _key, counts, _g in statements if name in counts]
            generic_values = [c[name] for c in generic if name in c]
            if generic_values:
                self._set_metric(name, generic_values[0])
            elif with_it:
                keys = {key for key, counts, _g in statements if name in counts}
                self._set_metric(
                    name, sum(with_it) if len(keys) == len(with_it) and len(keys) > 1 else with_it[0]
                )

    def _add_test_statement(self, key: str, counts: dict[str, int]) -> None:
        rest = re.sub(
            r"\b(tests?|testes|testen|testlauf|testsuite|suite|pruebas?|prove|results?|resultats?|"
            r"resultados|risultati|ergebnisse|run|executed|totale?s?|all|gesamt|totaal|line|lines|"
            r"de|des|du|of|the|suite de tests|test suite)\b",
            " ",
            key,
        )
        for words in TEST_OUTCOMES.values():
            rest = re.sub(rf"\b({words})\b", " ", rest)
        rest = rest.strip()
        is_generic = key in GENERIC_TEST_KEYS or not rest
        if any(k == key and c == counts for k, c, _g in self.test_statements):
            return
        self.test_statements.append((key, counts, is_generic))

    def _suite_row(self, b: Block) -> None:
        """| Suite | Passed | Failed |: one test suite per row."""
        header = [norm(h) for h in b.header]
        columns = {
            name: i
            for name, word_re in OUTCOME_WORD_RES.items()
            for i, h in enumerate(header)
            if i > 0 and word_re.fullmatch(h)
        }
        if "tests_passed" not in columns or not b.cells:
            return
        counts = {}
        for name, i in columns.items():
            if i < len(b.cells):
                count = parse_count(b.cells[i])
                if count is not None:
                    counts[name] = count
        if counts:
            key = norm(b.cells[0]) or "row"
            self._add_test_statement(key if key not in GENERIC_TEST_KEYS else "total", counts)

    # --- one statement ----------------------------------------------------------------------------

    def _metric_from_kv(self, key: str, value: str, block: Block, *, bare: bool = False) -> bool:
        if not key or len(key) > 60:
            return False
        plain = deaccent(clean(value, numbering=False))
        plain = re.sub(r"[*_`]", "", plain)
        in_tests = TEST_KEY_RE.search(key) or any(
            TEST_KEY_RE.search(norm(h.text)) for h in block.headings[-2:]
        )
        if NOT_A_SCORE_RE.search(key) and re.search(
            r"\b(target|ziel|objectif|objetivo|obiettivo|doel|goal|required|threshold|seuil)\b", key
        ):
            return False
        if COVERAGE_KEY_RE.search(key):
            return self._coverage(key, value, bare=bare)
        counts = self._test_counts(plain) if (in_tests or OUTCOME_RES["tests_passed"].search(plain)) else {}
        if not counts and bare is False and in_tests:
            out_of = re.match(r"^\W*(\d[\d.,\u202f\u00a0 ]*?)\s*/\s*\d", clean(value, numbering=False))
            number = parse_count(out_of.group(1)) if out_of else parse_count(value)  # "450/460"
            if number is not None:
                for name, word_re in OUTCOME_WORD_RES.items():
                    if word_re.search(key):
                        counts[name] = number
                        break
        if not counts and bare and TEST_KEY_RE.search(key):
            number = parse_count(value)
            for name, word_re in OUTCOME_WORD_RES.items():
                if number is not None and word_re.search(key):
                    counts[name] = number
                    break
        if counts:
            self._add_test_statement(key, counts)
            if in_tests and re.search(
                r"\b(duration|duree|time|temps|dauer|duracion|durata|duracao|duur)\b", key
            ):
                self._set_metric("tests_duration_seconds", parse_duration(value))
            return True
        if (
            in_tests
            and TEST_KEY_RE.search(key)
            and re.search(r"\b(duration|duree|time|temps|dauer|duracion|durata|duracao|duur)\b", key)
        ):
            seconds = parse_duration(value)
            if seconds is not None:
                self._set_metric("tests_duration_seconds", seconds)
                return True
        if SECURITY_KEY_RE.search(key) and not re.search(
            r"\b(priority|priorite|prioridad|priorita|prioridade|prioriteit|prioritat)\b", key
        ):
            if self._security_counts(key, plain):
                return True
        if WARNINGS_KEY_RE.search(key):
            count = parse_count(value)
            if count is not None:
                self._set_metric("warnings_count", count)
                return True
        if LOC_KEY_RE.search(key) and not TEST_KEY_RE.search(key):
            count = parse_count(value)
            if count is not None:
                self._set_metric("lines_of_code", count)
                return True
        if (
            FILES_KEY_RE.search(key)
            and not TEST_KEY_RE.search(key)
            and not re.search(  # "files with legacy code" is not the number of files
                r"\b(with|con|avec|mit|com|met|without|sans|ohne|sin|senza|sem|zonder|changed|modified|"
                r"untested|tested|legacy|heredado|per|par|pro|por)\b",
                key,
            )
        ):
            count = parse_count(value)
            if count is not None:
                self._set_metric("files_count", count)
                return True
        if re.search(
            r"\b(response time|temps de reponse|latency|latence|latenz|latencia|latenza|p95|p99|"
            r"antwortzeit|tiempo de respuesta)\b",
            key,
        ):
            ms = parse_milliseconds(value)
            if ms is not None:
                self.report.extra_metrics.setdefault("response_time_ms", ms)
                return True
        if re.search(
            r"\b(availability|disponibilite|uptime|sla|verfugbarkeit|disponibilidad|disponibilita|disponibilidade|beschikbaarheid)\b",
            key,
        ):
            percent = parse_percent(value)
            if percent is not None:
                self.report.extra_metrics.setdefault("availability_percent", float(percent))
                return True
        return False

    def _coverage(self, key: str, value: str, *, bare: bool) -> bool:
        text = clean(value, numbering=False)
        lead = re.match(r"^\W{0,4}(\d{1,3}(?:[.,]\d+)?\s*%)", text)
        percent = parse_percent(lead.group(1)) if lead else None
        if percent is None and bare:
            number = to_decimal(text) if re.fullmatch(r"\d{1,3}(?:[.,]\d+)?", text.strip()) else None
            percent = number if number is not None and number <= 100 else None
        if percent is None:
            return False
        name = "branch_coverage_percent" if BRANCH_RE.search(key) else "coverage_percent"
        self._set_metric(name, percent)
        return True

    def _security_counts(self, key: str, plain: str) -> bool:
        found = False
        level: int | None
        pairs = re.findall(rf"(\d[\d,.]*)\s*({SEVERITY_ALT})\b", plain)
        if not pairs:
            pairs = [(n, w) for w, n in re.findall(rf"\b({SEVERITY_ALT})\s*[:=]?\s*(\d[\d,.]*)", plain)]
        for number, word in pairs:
            level = SEVERITY_BY_WORD[word]
            if level:
                self._set_metric(self._security_field(level), parse_count(number))
                found = True
        if not found:
            level = severity_in(key)
            count = parse_count(plain) if re.fullmatch(r"\W*\d[\d.,\s]*\W*", plain) else None
            if level and count is not None:
                self._set_metric(self._security_field(level), count)
                found = True
        return found

    def _severity_row(self, b: Block) -> None:
        if b.header and len(b.cells) >= 2 and norm(b.header[0]) in SEVERITY_TABLE_HEADERS:
            level = severity_in(b.cells[0])
            count = parse_count(b.cells[1])
            if level in (1, 2, 3, 4) and count is not None:
                self._set_metric(self._security_field(level), count)

    @staticmethod
    def _security_field(level: int) -> str:
        return {4: "security_critical", 3: "security_high", 2: "security_medium", 1: "security_low"}[level]

    # --- prose ------------------------------------------------------------------------------------

    def _prose_metrics(self) -> None:
        """Metrics written in sentences ("101 bestanden, 0 fehlgeschlagen", "coverage 88 %",
        "🔴 3 KRITISCH" under a vulnerabilities sentence), read only when no statement gave them."""
        previous = ""
        for b in self.blocks:
            if b.kind == "heading":
                m = re.search(r"\(([^()]*\d[^()]*)\)", b.raw)
                if m and SECURITY_KEY_RE.search(norm(b.raw[: m.start()])):
                    self._security_counts("", deaccent(m.group(1)))
            if b.kind not in ("line", "item"):
                previous = norm(b.raw) if b.kind == "heading" else previous
                continue
            if any(PLAN_RE.search(norm(h.text)) for h in b.headings[-1:]):
                continue
            text = deaccent(clean(b.raw, numbering=False))
            if not self.test_statements or all(k == "prose" for k, _c, _g in self.test_statements):
                counts = self._test_counts(text)
                if "tests_passed" in counts or len(counts) >= 2:
                    self._add_test_statement("prose", counts)
            m = re.search(
                r"\b(?:coverage|couverture|abdeckung|cobertura|copertura|dekking)"
                r"(?: de code| de tests| des tests| global| globale)?\s*"
                r"(?:[:=]|of|de|is|est|at|a|reaches|atteint|van|di)?\s*(\d{1,3}(?:[.,]\d+)?)\s*%",
                text,
            )
            if m and not BRANCH_RE.search(text[max(0, m.start() - 12) : m.end()]):
                self._set_metric("coverage_percent", parse_percent(m.group(1) + "%"))
            m = re.search(
                r"\b(?:branch coverage|coverage \(?branch(?:es)?\)?|couverture (?:des |de )?branches|"
                r"zweigabdeckung|cobertura de (?:ramas|branches)|copertura dei rami|dekking \(?takken\)?)"
                r"\s*(?:[:=]|of|de|is|est)?\s*(\d{1,3}(?:[.,]\d+)?)\s*%",
                text,
            )
            if m:
                self._set_metric("branch_coverage_percent", parse_percent(m.group(1) + "%"))
            m = re.search(
                r"\b(\d{1,6})\s+(?:warnings|avertissements|warnungen|advertencias|avvisi|avisos|waarschuwingen)\b",
                text,
            )
            if m:
                self._set_metric("warnings_count", int(m.group(1)))
            m = re.match(rf"^\W*(\d+)\s+({SEVERITY_ALT})\b", norm(b.raw, numbering=False))
            if m and b.kind == "item" and SECURITY_KEY_RE.search(previous):
                level = SEVERITY_BY_WORD[m.group(2)]
                if level:
                    self._set_metric(self._security_field(level), int(m.group(1)))
            m = re.search(
                r"\b(?:latency|latence|response time|temps de reponse)\s*(?:p\d\d\s*)?"
                r"(?:[:=]|of|de|is|est|a|under|sous)?\s*(\d+(?:[.,]\d+)?\s*(?:ms|s)\b)",
                text,
            )
            if m:
                self.report.extra_metrics.setdefault("response_time_ms", parse_milliseconds(m.group(1)))
            m = re.search(
                r"\b(?:uptime|availability|disponibilite)\s*(?:[:=]|of|de|is|est|a)?\s*(\d{1,3}(?:[.,]\d+)?)\s*%",
                text,
            )
            if m:
                percent = parse_percent(m.group(1) + "%")
                if percent is not None:
                    self.report.extra_metrics.setdefault("availability_percent", float(percent))
            if b.kind == "line":
                previous = norm(b.raw)


def structured_pairs(b: Block) -> list[tuple[str, str]]:
    """(flattened key, value) pairs of a YAML or JSON code block; [] for other code."""
    text = b.raw
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        pairs: list[tuple[str, str]] = []

        def walk(prefix: str, node: object) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(f"{prefix} {k}".strip(), v)
            elif isinstance(node, (int, float, str)) and not isinstance(node, bool):
                pairs.append((norm(prefix), str(node)))

        walk("", data)
        return pairs
    lines = [line for line in text.split("\n") if line.strip() and not line.strip().startswith("#")]
    shaped = [
        line
        for line in lines
        if re.match(r"^\s*(?:- )?[^:{}()=<>;]{1,60}:(?:\s|$)", line) or line.strip().startswith("- ")
    ]
    if (
        not lines
        or len(shaped) < 0.8 * len(lines)
        or b.cells[:1] in (["bash"], ["sh"], ["python"], ["console"])
    ):
        return []
    pairs = []
    stack: list[tuple[int, str]] = []
    for line in lines:
        m = re.match(r"^(\s*)(?:- )?([^:{}()=<>;]{1,60}):\s*(.*)$", line)
        if not m:
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = m.group(2).strip("\"' ")
        value = m.group(3).strip().strip("\"'")
        if value:
            pairs.append((norm(" ".join([k for _i, k in stack] + [key])), value))
        else:
            stack.append((indent, key))
    return pairs
