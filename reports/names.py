"""The project a report is about, from the first rule that finds a name:

1. a "Project:" line (Projet, Projekt, Proyecto, Progetto, Projeto, Application, ...);
2. the title (or one of the first headings) without its report words: "Rapport d'audit et plan
   d'action - Backend Ortolan" -> "Ortolan", "AUDIT CRITIQUE BACKEND MERIDIA - RAPPORT COMPLET"
   -> "MERIDIA", "Audit of Wrenfield Scheduler" -> "Wrenfield Scheduler";
3. the repository or folder the report names (a repository URL, a "Path:" / "Scope:" line);
4. a name the prose gives the system ("the Marlow backend", "la plateforme Colibri");
5. the file name without its report words ("tidewater-api_BACKEND_AUDIT_SUMMARY.md").
"""

from __future__ import annotations

import re
from collections import Counter

from reports.markdown import Block, clean, norm
from reports.vocabulary import PROJECT_KEYS, REPOSITORY_KEYS

# Words of report titles that are not a project's name (matched on `norm`, word by word).
TITLE_WORDS = set(
    """
    audit audits auditing auditoria auditrapport auditbericht report reports rapport rapports reporte
    relatorio bericht verslag review reviews revue revision assessment evaluation evaluacion
    valutazione avaliacao beoordeling summary resume sommaire executive executif executivo ejecutivo
    esecutivo complete completo completa complet completed comprehensive full final finale
    definitief definitive vollstandiger vollstandige vollstandig integral general generale generales
    del de du des d l la le les the of for on and et und y e en di do da dos das van von der die das
    el il lo al au aux a an backend frontend back end front fullstack stack system systeme sistema
    systeem systems security securite sicherheit sicherheitsaudit seguridad sicurezza seguranca
    beveiliging beveiligingsrapport code quality qualite kwaliteit kwaliteitsaudit qualitat calidad
    qualita qualidade critique critical kritisch technical technique technisch tecnica tecnico
    production readiness gate decision go no nogo quick reference results resultats resultados
    risultati version updated update score scores plan action actions projet project projekt
    projektstand proyecto progetto projeto enterprise senior status stand riepilogo resumo sintesi
    zusammenfassung samenvatting pre post deployment plateforme platform plattform plataforma
    piattaforma overview analysis analyse analisis analisi analise findings constats state etat
    current quick maturity maturite readiness prod go/no go/no-go checkup check health
    application applications app apps applicazione aplicacion aplicacao applicatie anwendung
    service services servicio servizio servico dienst bilan scope perimetre umfang alcance ambito
    codigo codice kode quellcode broncode source sources multi role roles laporan ringkasan
    keamanan jelentes biztonsagi osszefoglalo raport kodu bezpieczenstwa podsumowanie visual
    snapshot scorecard dashboard progress notes
    """.split()
)
# Words that end a product's name ("Orders Service", "Lindwurm API") though they open report titles.
NAME_TAILS = {
    "service",
    "services",
    "app",
    "application",
    "platform",
    "plateforme",
    "engine",
    "api",
    "system",
}
VERSION_RE = re.compile(r"^v?\d+(?:[.\-]\d+)*[a-z]?$", re.IGNORECASE)
SPLIT_RE = re.compile(r"\s+[-—–|:]\s+|:\s+|\s+[—–]\s*|\s*[—–]\s+")
URL_RE = re.compile(r"https?://[^\s)>\]`'\"]+", re.IGNORECASE)
PATH_IN_TEXT_RE = re.compile(r"(?:^|[\s`(])((?:~|\.{1,2})?/(?:[\w.@-]+/)*[\w.@-]+)/?")
GENERIC_FOLDERS = {
    "backend", "frontend", "src", "app", "api", "server", "client", "code", "web", "srv", "home",
    "users", "user", "dev", "work", "workspace", "projects", "project", "repos", "repo", "git",
    "opt", "var", "tmp", "mnt", "data", "docs", "main", "master", "tree", "blob", "lib", "packages",
}  # fmt: skip
PROSE_NAME_RE = re.compile(
    r"\b(?:the|The|la|La|le|Le|l'|L'|das|Das|die|Die|der|Der|el|El|il|Il|o|O|a|A|de|De|het|Het)\s+"
    r"((?:[A-Z][\w-]+)(?:\s+[A-Z][\w-]+){0,2})\s+"
    r"(?:backend|platform|project|application|app|API|service|system|codebase|"
    r"plateforme|projet|application|plattform|projekt|anwendung|plataforma|proyecto|"
    r"piattaforma|progetto|projeto|platform|applicatie)\b"
)


def _without_report_words(part: str) -> str:
    """The part without the report words it starts or ends with, in its written case:
    "AUDIT CRITIQUE BACKEND MERIDIA" -> "MERIDIA", "Gestor de Clientes Jacarandá" stays whole."""
    words = [w for w in re.split(r"\s+", clean(part)) if w]

    def is_report_word(word: str) -> bool:
        key = norm(word, numbering=False)
        if not key or re.fullmatch(r"[\d/.%-]+", key) or VERSION_RE.match(word.strip("()")):
            return True
        return all(p in TITLE_WORDS for p in re.split(r"[\s/-]+", key) if p)

    while words and is_report_word(words[0]):
        words.pop(0)
    while words and is_report_word(words[-1]):
        # "Orders Service" keeps its last word; "Quayside Full System" does not.
        if norm(words[-1]) in NAME_TAILS and len(words) > 1 and not is_report_word(words[-2]):
            break
        words.pop()
    return " ".join(w.strip(" ,;()") for w in words).strip(" -—–:|'’")


def name_from_title(text: str) -> str:
    text = clean(text)
    if URL_RE.search(text):
        return ""
    for part in [p for p in SPLIT_RE.split(text) if p.strip()]:
        name = _without_report_words(part)
        if name and re.search(r"[^\W\d_]", name) and len(name) <= 80:
            return name
    return ""


def name_from_location(value: str) -> str:
    """The repository or folder a URL or a path names: ".../owner/quillstone" -> "quillstone"."""
    value = clean(value, numbering=False)
    m = URL_RE.search(value)
    if m:
        segments = [s for s in re.split(r"/", m.group(0).split("://", 1)[1]) if s][1:]
        segments = [re.sub(r"\.git$", "", s) for s in segments if s.lower() not in GENERIC_FOLDERS]
        if len(segments) >= 2:
            return segments[1]
        return segments[-1] if segments else ""
    m = PATH_IN_TEXT_RE.search(" " + value)
    if m:
        segments = [s for s in m.group(1).split("/") if s and s not in (".", "..", "~")]
        named = [s for s in segments if s.lower() not in GENERIC_FOLDERS and not s.startswith(".")]
        return named[-1] if named else ""
    return ""


def name_from_file(file_name: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", file_name.rsplit("/", 1)[-1])
    parts = [p for p in re.split(r"[_\s]+", stem) if p]
    kept = [p for p in parts if norm(p) not in TITLE_WORDS and not re.fullmatch(r"[\d.-]+", p)]
    kept = [p for p in kept if not all(w in TITLE_WORDS for w in norm(p).split())]
    return " ".join(kept)[:200] or stem[:200]


def find_project_name(
    blocks: list[Block], kv: list[tuple[str, str, Block]], text: str, file_name: str
) -> tuple[str, str]:
    """(name, the rule that chose it); ("", "") when nothing names the project."""
    for key, value, block in kv:
        if key in PROJECT_KEYS and block.kind != "row" and clean(value):
            # "Tallow order gateway (FastAPI)": the stack in brackets is not part of the name.
            name = re.sub(r"\s*\([^)]*\)\s*$", "", clean(value)) or clean(value)
            return name[:200], "a 'Project:' line"
    headings = [b for b in blocks if b.kind == "heading"]
    title = headings[0]
    # The title, and a subtitle written right under it ("# Backend Report V3" / "## Harborline - ...").
    titles = [title] + [
        b for b in blocks[blocks.index(title) + 1 : blocks.index(title) + 2] if b.kind == "heading"
    ]
    for h in titles:
        name = name_from_title(h.raw)
        if name:
            return name[:200], "the title"
    for key, value, _block in kv:
        if key in REPOSITORY_KEYS or key.startswith(("repo", "github", "gitlab")):
            bare = clean(value, numbering=False)
            # "Repo: `majster-ai-oferty`": the repository's own name.
            name = name_from_location(value) or (
                bare if key.startswith("repo") and re.fullmatch(r"[\w.-]{2,100}", bare) else ""
            )
            if name:
                return name[:200], "the repository or folder named in the report"
    for h in headings[:2]:
        name = name_from_location(h.raw)
        if name:
            return name[:200], "the repository named in the title"
    for m in URL_RE.finditer(text):
        if re.search(r"github|gitlab|bitbucket|codeberg", m.group(0), re.IGNORECASE):
            name = name_from_location(m.group(0))
            if name:
                return name[:200], "the repository named in the report"
    prose = Counter(m.group(1) for m in PROSE_NAME_RE.finditer(text) if norm(m.group(1)) not in TITLE_WORDS)
    if prose:
        return prose.most_common(1)[0][0][:200], "the name the prose gives the system"
    if file_name:
        return name_from_file(file_name), "the file name"
    return "", ""
