"""The words audit reports use, in English, French, German, Spanish, Italian, Portuguese and Dutch.

Everything here is matched on `markdown.norm` text (lower case, no accents, punctuation as
spaces), so "Sécurité", "SECURITE" and "sécurité" are one word. Lists, not rules: the readers in
`names`, `verdicts`, `metrics`, `scores` and `findings` decide what a word means where it stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(words: Iterable[str]) -> str:
    """A regex alternation, longest first so "high priority" wins over "high"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# --- key/value labels -----------------------------------------------------------------------------

DATE_KEYS = {
    "date", "audit date", "date of audit", "date of the audit", "report date", "review date",
    "reviewed", "reviewed on", "prepared", "prepared on", "generated", "generated on", "written on",
    "audited on", "date du rapport", "date de l audit", "date d audit", "date de revue",
    "date de la revue", "genere le", "redige le", "audite le", "realise le",
    "datum", "prufdatum", "pruefdatum", "stand", "erstellt", "erstellt am", "audit datum",
    "fecha", "fecha de auditoria", "fecha del informe", "fecha de la auditoria", "generado",
    "data", "data dell audit", "data della revisione", "data da auditoria", "data do relatorio",
    "gerado em", "generato il", "auditdatum", "rapportdatum", "gegenereerd",
    "tanggal", "tanggal audit", "dibuat", "audit datuma", "keszult", "data audytu",
    "data raportu", "wygenerowano",
}  # fmt: skip
PROJECT_KEYS = {
    "project", "project name", "audited project", "application", "product", "system", "service",
    "projet", "nom du projet", "projet audite", "produit", "projekt", "projektname", "anwendung",
    "proyecto", "nombre del proyecto", "aplicacion", "sistema", "progetto", "nome del progetto",
    "applicazione", "projeto", "nome do projeto", "aplicacao", "projectnaam", "applicatie",
    "proyek", "nama proyek", "aplikasi", "projekt neve", "alkalmazas", "aplikacja",
}  # fmt: skip
REPOSITORY_KEYS = {
    "repository", "repo", "repositorio", "repositorium", "depot", "depot git", "repository url",
    "scope", "path", "chemin", "pfad", "ruta", "percorso", "caminho", "pad", "perimetre", "umfang",
    "ambito", "perimetro",
}  # fmt: skip
VERSION_KEYS = {
    "version", "release", "tag", "version auditee", "audited version", "version reviewed",
    "version du code", "versie", "versao", "versione", "version del sistema", "versao do sistema",
    "version des systems", "versione del sistema", "build", "versao do projeto", "version del proyecto",
    "version du projet", "projektversion", "versione del progetto", "projectversie", "app version",
    "product version", "version du produit", "versi", "verzio", "wersja",
}  # fmt: skip
VERDICT_KEYS = {
    "status", "statut", "verdict", "decision", "conclusion", "readiness", "production readiness",
    "avis", "go/no go", "go no go", "go/no go decision", "statut global", "overall status",
    "global status", "final verdict", "verdict final", "stated verdict", "verdict annonce",
    "etat global", "result", "resultat", "outcome", "overall result", "resultat global",
    "gate", "gate decision", "quality gate", "recommendation", "final recommendation",
    "recommandation", "decision finale", "final decision", "sign off", "signoff", "approval",
    "deployment readiness", "release decision", "freigabe", "entscheidung", "urteil", "fazit",
    "gesamturteil", "empfehlung", "produktionsreife", "veredicto", "decision final", "estado",
    "estado general", "recomendacion", "recomendacion final", "esito", "stato", "verdetto",
    "decisione", "raccomandazione", "decisao", "decisao final", "parecer", "recomendacao",
    "estado geral", "eindoordeel", "oordeel", "besluit", "conclusie", "advies", "beslissing",
    "resultado", "resultado geral", "resultado final", "ergebnis", "gesamtergebnis", "risultato",
    "risultato finale", "resultaat", "eindresultaat", "uitkomst", "overall verdict",
    "kesimpulan", "rekomendasi", "hasil", "keputusan", "status akhir", "allapot", "statusz",
    "dontes", "vegso dontes", "osszegzes", "rekomendacja", "decyzja", "werdykt", "wniosek",
    "wniosek koncowy", "production status",
}  # fmt: skip
# A key naming production readiness ("Produktionsreife", "Production deployment") is a verdict
# key too, but not a key naming another stage ("Staging deployment: ready").
PRODUCTION_KEY_RE = re.compile(
    r"\b(production|produktion\w*|produccion|produzione|producao|productie|prod|go live|golive|"
    r"mise en production|livegang|produksi|produkcj\w*|produkcyjn\w*|eles uzem\w*)\b"
)
OTHER_STAGE_RE = re.compile(r"\b(staging|pilot|pilote|piloto|test|testing|dev|development|beta|preprod)\b")

# --- dates ----------------------------------------------------------------------------------------

MONTHS = {
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
    # French
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "octobre": 10,
    "novembre": 11, "decembre": 12,
    # German
    "januar": 1, "janner": 1, "februar": 2, "marz": 3, "maerz": 3, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "okt": 10, "dez": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    # Italian
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "settembre": 9, "ottobre": 10, "dicembre": 12,
    # Portuguese
    "janeiro": 1, "fevereiro": 2, "marco": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "novembro": 11, "dezembro": 12,
    # Dutch (and Indonesian, which shares most of them)
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8, "maret": 3, "agustus": 8,
    "desember": 12,
    # Hungarian (after `norm`)
    "marcius": 3, "aprilis": 4, "majus": 5, "junius": 6, "julius": 7, "augusztus": 8,
    "szeptember": 9,
    # Polish (the genitive forms dates use)
    "stycznia": 1, "lutego": 2, "marca": 3, "kwietnia": 4, "maja": 5, "czerwca": 6, "lipca": 7,
    "sierpnia": 8, "wrzesnia": 9, "pazdziernika": 10, "listopada": 11, "grudnia": 12,
}  # fmt: skip
MONTH_ALT = alternation(MONTHS)

# --- severities -----------------------------------------------------------------------------------

SEVERITY_WORDS = {
    4: (
        "critical", "criticals", "critique", "critiques", "blocker", "blockers", "bloquant",
        "bloquante", "bloquants", "blocking", "showstopper", "kritisch", "kritische", "kritischer",
        "krit", "kritiek", "kritieke", "critico", "critica", "criticos", "criticas", "critici",
        "criticita", "bloqueante", "bloccante", "p0", "sev0", "sev1", "kritis", "kritikus",
        "krytyczny", "krytyczna", "krytyczne",
    ),
    3: (
        "high", "haute", "hautes", "haut", "eleve", "elevee", "elevees", "eleves", "major",
        "majeur", "majeure", "majeurs", "majeures", "severe", "hoch", "hohe", "hoher", "hohes",
        "hoog", "hoge", "alto", "alta", "altos", "altas", "elevado", "elevada", "importante",
        "importantes", "grave", "gravi", "maggiore", "maggiori", "p1", "sev2", "wichtig", "wichtige",
        "tinggi", "magas", "wysoki", "wysoka", "wysokie",
    ),
    2: (
        "medium", "moyen", "moyenne", "moyennes", "moyens", "moderate", "modere", "moderee",
        "moderees", "moderes", "mittel", "mittlere", "mittlerer", "middel", "gemiddeld", "matig",
        "medio", "media", "medios", "medias", "moderado", "moderada", "medie", "p2", "sev3",
        "sedang", "kozepes", "sredni", "srednia", "srednie",
    ),
    1: (
        "low", "faible", "faibles", "basse", "basses", "minor", "mineur", "mineure", "mineurs",
        "mineures", "niedrig", "niedrige", "gering", "laag", "lage", "bajo", "baja", "bajos",
        "bajas", "basso", "bassa", "bassi", "minore", "minori", "baixo", "baixa", "p3", "sev4",
        "menor", "menores", "rendah", "alacsony", "niski", "niska", "niskie",
    ),
    0: ("info", "informational", "information", "informative", "hinweis", "informativo", "nit"),
}  # fmt: skip
SEVERITY_BY_WORD = {w: level for level, words in SEVERITY_WORDS.items() for w in words}
SEVERITY_ALT = alternation(SEVERITY_BY_WORD)
SEVERITY_WORD_RE = re.compile(rf"\b({SEVERITY_ALT})\b")
SEVERITY_LABELS = {4: "Critical", 3: "High", 2: "Medium", 1: "Low", 0: "Info"}
SEVERITY_KEY_RE = re.compile(
    r"\b(severity|severite|gravite|criticite|priority|priorite|schweregrad|schwere|prioritat|"
    r"ernst|ernstniveau|severidad|gravedad|prioridad|gravita|priorita|severita|severidade|"
    r"gravidade|prioridade|ernst|prioriteit|impact|risk level|niveau|level|nivel|livello|prioritas|"
    r"tingkat|keparahan|sulyossag|priorytet|waga)\b"
)
# Emoji that mark severity in front of an item ("🔴 **CRITICAL:**"), when no word does.
SEVERITY_EMOJI = {"🔴": 4, "🟠": 3, "🟡": 2, "🟢": 1, "🔵": 0}

# --- sections -------------------------------------------------------------------------------------

PROBLEM_WORDS = (
    "problem", "problems", "issue", "issues", "error", "errors", "vulnerability", "vulnerabilities",
    "vuln", "vulns", "finding", "findings", "bug", "bugs", "weakness", "weaknesses", "flaw",
    "flaws", "defect", "defects", "blocker", "blockers", "gap", "gaps", "concern", "concerns",
    "remark", "remarks", "probleme", "problemes", "erreur", "erreurs", "vulnerabilite",
    "vulnerabilites", "faille", "failles", "defaut", "defauts", "anomalie", "anomalies",
    "constat", "constats", "faiblesse", "faiblesses", "points faibles", "point faible",
    "dysfonctionnements", "bloquants", "schwachstelle", "schwachstellen", "befund", "befunde",
    "mangel", "maengel", "fehler", "probleme", "kritische findings", "was fehlt",
    "problema", "problemas", "hallazgo", "hallazgos", "vulnerabilidad", "vulnerabilidades",
    "errores", "fallos", "fallas", "debilidades", "problemi", "criticita", "vulnerabilita",
    "errori", "rilievi", "carenze", "osservazioni", "difetti", "erros", "achados",
    "pontos de atencao", "falhas", "fragilidades", "avisos", "problemen", "bevindingen",
    "kwetsbaarheden", "fouten", "knelpunten", "tekortkomingen", "aandachtspunten",
    "masalah", "temuan", "kerentanan", "kelemahan", "isu", "problemak", "hibak",
    "megallapitasok", "sebezhetosegek", "problemy", "bledy", "luki", "podatnosci", "ustalenia",
)  # fmt: skip
PROBLEM_RE = re.compile(rf"\b({alternation(PROBLEM_WORDS)})\b")
GOOD_RE = re.compile(
    r"\b(good practices?|best practices? (?:in place|already)|strengths?|what works|what s working|"
    r"works well|working well|what is good|what already works|positives?|positive observations|"
    r"excellent implementations?|highlights?|bonnes? pratiques?|points? forts?|ce qui fonctionne|"
    r"acquis|deja en place|already in place|starken|positiv\w*|was funktioniert|fortalezas|"
    r"puntos fuertes|aspectos positivos|lo que funciona|punti di forza|aspetti positivi|"
    r"pontos fortes|pontos positivos|sterke punten|positieve bevindingen|wat goed gaat|"
    r"sudah baik|yang sudah|kelebihan|kekuatan|erossegek|pozitivumok|mocne strony|pozytywne|"
    r"implementiert|fertig|implemented|done|termine\w*|terminados?|completed|success|erfolg\w*|exito|"
    r"successo|sucesso|succes|acceptable|accepted|mitigated|akzeptabel|aceptables?|accettabil\w*|"
    r"aceitave\w*|acceptabel|mitigad\w*|mitigat\w*|gemitigeerd)\b"
)
# Sections that plan work rather than state problems: their items are actions, not findings.
PLAN_RE = re.compile(
    r"\b(recommendations?|recommended actions?|remediation|action plan|next steps?|roadmap|"
    r"timeline|fix timeline|plan|todo|to do|conditions?|exit criteria|checklist|"
    r"recommandations?|plan d action|prochaines etapes|feuille de route|empfehlungen|"
    r"massnahmen|massnahmenplan|nachste schritte|naechste schritte|sofortmassnahmen|"
    r"recomendaciones|plan de accion|proximos pasos|raccomandazioni|piano di intervento|"
    r"prossimi passi|recomendacoes|plano de acao|proximos passos|aanbevelingen|actieplan|"
    r"volgende stappen|voorwaarden|lots?|sprint \d+|phase \d+|fase \d+|rekomendasi|saran|rencana|"
    r"javaslatok|ajanlasok|teendok|rekomendacje|zalecenia)\b"
)
SUMMARY_HEADINGS = {
    "summary", "executive summary", "synthese", "resume", "resume executif", "synthese executive",
    "overview", "vue d ensemble", "management summary", "zusammenfassung", "resumen",
    "resumen ejecutivo", "sintesi", "riepilogo", "resumo", "resumo executivo", "samenvatting",
    "sommaire executif",
}  # fmt: skip
CONCLUSION_HEADINGS = {
    "conclusion", "conclusions", "verdict", "en resume", "bilan", "fazit", "conclusiones",
    "conclusione", "conclusao", "conclusie", "sign off", "final recommendation",
}  # fmt: skip

# --- scores ---------------------------------------------------------------------------------------

GLOBAL_RE = re.compile(
    r"\b(global|globale|globales|overall|total|totale|totaal|totaalscore|moyenne|moyen|average|"
    r"general|generale|final|finale|synthese|aggregate|gesamt|gesamtbewertung|gesamtnote|"
    r"gesamtscore|promedio|complessivo|complessiva|ponderato|ponderado|geral|media ponderada|"
    r"eindscore|eindcijfer|gemiddeld|gemiddelde|system grade|integral|keseluruhan|rata rata|"
    r"osszesitett|vegso|atlag|ogolna|laczna|srednia|koncowa)\b"
)
GENERIC_SCORE_LABELS = {
    "score", "scores", "note", "rating", "notation", "maturity", "maturite", "maturity score",
    "score de maturite", "evaluation", "niveau", "level", "grade", "punteggio", "voto",
    "puntuacion", "calificacion", "bewertung", "wertung", "beoordeling", "nota", "pontuacao",
    "cijfer", "quality score", "quality", "nilai", "skor", "pontszam", "ertekeles", "ocena",
    "wynik", "rating keseluruhan",
}  # fmt: skip
SCORE_HEADER_RE = re.compile(
    r"\b(score|scores|note|notes|rating|notation|maturite|maturity|grade|punteggio|voto|puntuacion|"
    r"calificacion|bewertung|wertung|beoordeling|nota|pontuacao|cijfer|valutazione|punkte|"
    r"points|punten|puntos|punti|pontos|nilai|skor|pontszam|ertekeles|ocena|wynik|punkty)\b|"
    r"/\s*(?:10|100|20|5|15|25|50)\b"
)
# Columns and labels that state something other than the current score of the audit.
NOT_A_SCORE_RE = re.compile(
    r"\b(target|required|requirement|goal|expected|estimated|estimate|projected|threshold|minimum|"
    r"cible|objectif|requis|attendu|estime|ziel|soll|erwartet|geschatzt|objetivo|requerido|"
    r"esperado|estimado|obiettivo|richiesto|atteso|stimato|meta|doel|vereist|verwacht|"
    r"risk|risks|risque|risques|risiko|risiken|riesgo|riesgos|rischio|rischi|risco|riscos|risico|"
    r"cvss|confidence|confiance|likelihood|probability|probabilite|probabilidad|probabilita|"
    r"probabilidade|wahrscheinlichkeit|kans|impact|impacto|auswirkung|weight|poids|peso|gewicht|"
    r"change|delta|trend|tendance|progress|progression|fortschritt|progreso|progresso|voortgang|"
    r"after fixes|apres corrections|nach fixes|coverage|couverture|abdeckung|cobertura|copertura|"
    r"dekking|max|maximum)\b"
)
BEFORE_RE = re.compile(
    r"\b(previous|before|initial|old|earlier|avant|precedent|precedente|initiale?|vorher|alt|"
    r"vorherig\w*|antes|anterior|prima|precedente|voor|vorige|oud)\b"
)
AFTER_RE = re.compile(
    r"\b(updated|after|current|now|new|apres|actuel|actuelle|nouveau|nouvelle|nachher|aktuell|"
    r"neu|despues|actual|nuevo|dopo|attuale|nuovo|depois|atual|novo|na|huidig|huidige|nieuw)\b"
)
# "0/10 categories", "2/5 stories": a count out of a total, not a mark.
COUNT_NOUN_RE = re.compile(
    r"^\s*(categories|categorie|categorias|kategorien|items?|stories|tasks?|taches|steps?|etapes|"
    r"checks?|tests?|endpoints?|files?|fichiers|criteria|criteres|points? de controle|controls?|"
    r"services?|modules?|requirements?|exigences|passing|passed|done|completed?|termines?|"
    r"bestanden|geslaagd|superati|aprobad\w*|aprovad\w*|reussis|passent|sections?|reviewers?|"
    r"elementos|elements?|elementi|tareas|aufgaben|attivita|taken|"
    r"issues|findings|tasks|users|pages|routes|tables|rules|regles|regeln|reglas)\b",
    re.IGNORECASE,
)
