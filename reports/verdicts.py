"""Reading a stated verdict without ever reading it backwards.

A verdict is production ready, ready with reservations, not ready or unknown. The worst error is
an inverted verdict, so: a negation near the verdict word ("NICHT Production-Ready", "n'est pas
prête", "no está listo", "non ancora pronto", "não está pronto", "niet klaar") makes it not ready;
"NO-GO", "blocked", "rejected" are not ready; a "ready" followed by "but not ..." or by conditions
is with reservations. Sentences about a component ("the rate limiter is not production ready")
are not verdicts of the project. When the report states opposite verdicts, the verdict is
unknown and both sentences are quoted in a warning.
"""

from __future__ import annotations

import re

from reports.values import deaccent
from reports.vocabulary import OTHER_STAGE_RE, PRODUCTION_KEY_RE, VERDICT_KEYS

READY_WORDS = (
    r"production[ -]?ready|ready for (?:production|prod|release|launch|go[ -]?live|deployment|"
    r"(?:a )?(?:public )?(?:launch|release))|ready to (?:ship|deploy|release|launch|go live)|ready|"
    r"go|approved|approve|pass|passed|ok|accepted|"
    r"pret|prete|prets|pretes|valide|validee|approuve|approuvee|accepte|"
    r"produktionsreif|produktionsbereit|produktiv ?bereit|bereit|freigegeben|einsatzbereit|"
    r"listo|lista|listos|aprobado|aprobada|autorizado|autorizada|autorizar|apto|"
    r"pronto|pronta|approvato|approvata|idoneo|aprovado|aprovada|apto|"
    r"klaar|gereed|goedgekeurd|productierijp|recommended|aanbevolen|empfohlen|recomendado|"
    r"raccomandato|recommande|can go live|can be deployed|peut etre mise? en production|"
    r"kann live|puede ir a produccion|puo andare in produzione|siap|siap produksi|gotowy|gotowa|"
    r"gotowe|elesitheto|uzemre kesz"
)
READY_RE = re.compile(rf"\b({READY_WORDS})\b")
NEGATION_RE = re.compile(
    r"\b(not|no|never|non|pas|ni|nicht|kein|keine|keinesfalls|nein|noch nicht|nunca|non ancora|"
    r"nao|niet|geen|nog niet|nie|isn t|aren t|isnt|arent|cannot|can t|n est|ne sont|tidak|belum|"
    r"bukan|nem|meg nem|nincs|jeszcze nie)\b"
)
# Said alone after a readiness key ("Produktionsreife: nein").
NO_ANSWER_RE = re.compile(
    r"^(no|nein|non|nee|nao|niet|not yet|pas encore|noch nicht|todavia no|non ancora|ainda nao)$"
)
YES_ANSWER_RE = re.compile(r"^(yes|ja|oui|si|sim)$")
NOT_READY_RE = re.compile(
    r"\b(no ?go|nogo|unready|blocked|blocking|bloque|bloquee|blockiert|gesperrt|bloqueado|"
    r"bloccato|bloqueado|geblokkeerd|rejected|rejete|rejetee|refuse|refusee|refused|abgelehnt|"
    r"rechazado|rifiutato|respinto|rejeitado|reprovado|afgewezen|afgekeurd|fail|failed|echec|"
    r"durchgefallen|nicht bestanden|suspendu|stop)\b|"
    r"\b(do not|don t|dont|never|not to) (deploy|release|ship|launch|go live|go to production)\b|"
    r"\bne pas (deployer|livrer|mettre en production)\b|\bnicht (deployen|ausrollen|freigeben|live gehen)\b|"
    r"\bno (desplegar|publicar|lanzar)\b|\bnon (rilasciare|distribuire|pubblicare)\b|"
    r"\bnao (implantar|publicar|lancar)\b|\bniet (uitrollen|deployen|live gaan)\b"
)
NEEDS_BEFORE_RE = re.compile(
    r"\b(needs?|requires?|necessite|erfordert|braucht|requiere|necesita|richiede|requer|precisa|vereist|"
    r"heeft)\b.{0,40}\b(before|avant|vor|antes|prima|voor)\b.{0,20}\b(production|prod|go live|release|"
    r"launch|deployment|produktion\w*|produccion|produzione|producao|productie|mise en production)\b"
)
# Said alone, these are a verdict with reservations ("CONCERNS", "Approved with conditions").
RESERVATIONS_RE = re.compile(
    r"reserv|ressalv|riserv|voorbehoud|vorbehalt|auflage|caveat|concerns?\b|\bconditional|"
    r"\bconditionnel|\bsous conditions?\b|\bunder conditions?\b|\bwith conditions?\b|"
    r"\bcon condicion|\bcon condizion|\bcom condico|\bonder voorwaarden|\bmet voorwaarden|"
    r"\bunter bedingungen|\bmit bedingungen"
)
# These qualify a "ready" ("ready once ...", "GO for a pilot"); alone they are no verdict.
QUALIFIED_RE = re.compile(
    r"\bpartially\b|\bpartiellement\b|\bteilweise\b|\bparcialmente\b|\bin parte\b|\bgedeeltelijk|"
    r"\bwith (?:minor )?fixes\b|\bmit (?:minor )?fixes\b|\bavec (?:des )?corrections\b|"
    r"\bprovided that\b|\bonce\b|\bop voorwaarde\b|\bsofern\b|\bsiempre que\b|\ba condizione\b|"
    r"\bdesde que\b|\bpilot\b|\bpilote\b|\bpiloto\b|\bessai\b|\btrial\b|\blimited\b|\blimitee?\b|"
    r"\beingeschrankt\b|\bbegrenzt\b|\blimitad[oa]\b|\blimitat[oa]\b|\bbeperkt\b|\bsans ouverture\b|"
    r"\bbeta\b|\bstaging\b|\bmvp\b|\binternal use\b|\bafter fixing\b|\bonce fixed\b|\bpo naprawieniu\b|"
    r"\bsetelah\b|\bmiutan\b|\bmit einschrankung\w*|\bcon observacion\w*|\bcon osservazion\w*|"
    r"\bcom observac\w*|\bavec observations?\b|\bmet opmerkingen\b|\bminor issues?\b|\bwith issues\b|"
    r"\bwith (?:close |enhanced )?monitoring\b|\bwith remarks\b"
)
NO_RESERVATIONS_RE = re.compile(
    r"\b(no|without|sans|aucune?|ohne|sin|senza|sem|zonder)\s+(reserv|ressalv|riserv|voorbehoud|vorbehalt)"
)
BUT_NOT_RE = re.compile(
    r"\b(but|mais|aber|jedoch|pero|sino|ma|mas|porem|maar)\b.{0,40}?\b(not|no|pas|nicht|kein|non|nao|niet|geen)\b"
)
IN_PRODUCTION_RE = re.compile(
    r"\b(already|deja|bereits|schon|ya|gia|ja)\b(?: \w+){0,2} (in|en|im|nel|em|op) "
    r"(production|produktion\w*|produccion|produzione|producao|productie)\b|"
    r"\b(is|est) (live|en production)\b"
)
UNKNOWN_RE = re.compile(
    r"^(unknown|inconnu|not stated|non renseigne|n/a|tbd|a definir|unbekannt|desconocido|"
    r"sconosciuto|desconhecido|onbekend)$"
)
NEUTRAL_RE = re.compile(r"\bgo\s*/\s*no\s*-?\s*go\b|\bgo\s*-\s*no\s*-\s*go\b|\bgo\s*/\s*nogo\b")
CLAUSE_SPLIT_RE = re.compile(r"[.;!?()\[\]|]|,(?!\d)|\s[-—–]\s|\s[-—–]$|:\s|→")
# The whole project, not one of its parts, is the subject of the sentence.
WHOLE_RE = re.compile(
    r"\b(it|project|projet|projekt|proyecto|progetto|projeto|application|app|applicazione|aplicacion|"
    r"aplicacao|applicatie|anwendung|platform|plateforme|plattform|plataforma|piattaforma|system|"
    r"systeme|sistema|systeem|backend|back end|frontend|codebase|code|service|api|module|release|"
    r"version|software|produkt|product|produit|producto|prodotto|produto|la solution|solution|"
    r"l application|das backend|het systeem|de module|sie|es|elle|ella|essa|esso|ela|ele|ze|zij|"
    r"they|ils|we|nous|wir|aplikasi|sistem|proyek|alkalmazas|rendszer|aplikacja|system)\b"
)


def _text(text: str) -> str:
    """Lower case, no accents, no emphasis, ✅/❌ as yes/no; punctuation kept (clauses are cut on it)."""
    text = re.sub("[❌✖⛔🚫]", " no ", re.sub("[✅✔☑]", " yes ", text))
    text = deaccent(re.sub(r"[*_`~]+", " ", text))
    text = NEUTRAL_RE.sub(" ", text)
    text = re.sub(r"(\w)[’'](\w)", r"\1 \2", text)
    return re.sub(r"\s+", " ", text).strip()


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in CLAUSE_SPLIT_RE.split(text) if c and c.strip()]


def _negated(clause: str, start: int) -> bool:
    before = clause[:start].split()[-4:]
    return any(NEGATION_RE.fullmatch(w) for w in before) or bool(
        re.search(
            r"\b(noch nicht|nog niet|non ancora|pas encore|not yet|ainda nao|todavia no)\s*$", clause[:start]
        )
    )


def map_verdict(text: str, key: str = "") -> tuple[str | None, bool]:
    """(verdict, already in production) for a stated verdict; None when not recognised."""
    full = _text(text)
    plain = re.sub(r"[^a-z0-9/ ]+", " ", full).strip()
    plain = re.sub(r"\b(\w+)(?: \1\b)+", r"\1", re.sub(r"\s+", " ", plain))  # "❌ NO": "no no"
    if not plain:
        return None, False
    if UNKNOWN_RE.match(plain):
        return "unknown", False
    if NO_ANSWER_RE.match(plain) and key:
        return "not_ready", False
    if YES_ANSWER_RE.match(plain) and key and PRODUCTION_KEY_RE.search(key):
        return "production_ready", False
    if IN_PRODUCTION_RE.search(plain):
        return "production_ready", True
    ready = not_ready = False
    for clause in _clauses(full):
        clause = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9/ ]+", " ", clause)).strip()
        clause = re.sub(r"\b(\w+)(?: \1\b)+", r"\1", clause)
        blocked = NOT_READY_RE.search(clause)
        if (blocked and not _negated(clause, blocked.start())) or NO_ANSWER_RE.match(clause):
            not_ready = True  # "Production-ready: NO", "Ready for production: ❌" ("not blocked" is not)
            continue
        for m in READY_RE.finditer(clause):
            if _negated(clause, m.start()):
                not_ready = True
            else:
                ready = True
    strong = RESERVATIONS_RE.search(plain) and not NO_RESERVATIONS_RE.search(plain)
    if not_ready:
        # "PRÊT | PRÊT AVEC RÉSERVES | NON PRÊT" lists the options of a template: no verdict.
        return (None, False) if ready and re.search(r"\||\s/\s", text) else ("not_ready", False)
    if strong or (ready and (QUALIFIED_RE.search(plain) or BUT_NOT_RE.search(plain))):
        return "with_reservations", False
    if ready:
        return "production_ready", False
    if NEEDS_BEFORE_RE.search(plain):
        return "not_ready", False  # "Needs work before production"
    return None, False


def is_verdict_key(key: str) -> bool:
    if key in VERDICT_KEYS:
        return True
    return bool(PRODUCTION_KEY_RE.search(key)) and not OTHER_STAGE_RE.search(key) and len(key.split()) <= 4


# Prose that states a verdict without a label: the phrase must name production (or be a
# readiness decision word), so "ready" alone in a sentence is not a verdict.
PHRASE_RE = re.compile(
    r"\b(production[ -]?ready|produktionsreif|produktionsbereit|productierijp|"
    r"(?:ready|pret|prete|listo|lista|pronto|pronta|klaar|gereed|bereit|freigegeben|siap|gotowy|"
    r"gotowa|kesz)\b[^.;:]{0,25}?"
    r"\b(?:production|prod|produktion\w*|produccion|produzione|producao|productie|go[ -]?live|"
    r"produksi|produkcj\w*|eles\w*|"
    r"launch|lancement|mise en production|livegang|release|rilascio|lanzamiento|lancamento|"
    r"deployment|deploy|uitrol|einsatz)|"
    r"no[ -]?go|(?:ist|is|est|esta|e|zijn|sind|are)\b[^.;:]{0,20}?\bfreigegeben)\b"
)


FILLER_RE = re.compile(
    r"\b(is|are|est|sont|ist|sind|esta|estan|e|sono|zijn|yet|still|encore|noch|ancora|ainda|todavia|"
    r"now|currently|the|le|la|les|der|die|das|el|los|il|o|a|de|het|een|n|s|t|l|but|mais|aber|"
    r"jedoch|pero|ma|mas|maar|and|et|und|y|en|so|donc|also|thus|therefore|overall|globalement|"
    r"tetapi|namun|tapi|dan|masih|sudah|azonban|es|meg|ale|jednak|i|jest|jeszcze|a rendszer|yes|"
    r"insgesamt|en general|nel complesso|no geral|over het geheel|current|actuellement|derzeit|"
    r"actualmente|attualmente|atualmente|momenteel)\b"
)


# "a production-ready job queue": the phrase describes a noun, it is no verdict.
AFTER_PHRASE_RE = re.compile(
    r"^\s*(?:$|(?:for|pour|fur|para|per|voor|with|avec|mit|con|com|met|and|et|und|y|e|en|but|mais|aber|"
    r"pero|ma|mas|maar|yet|now|today|as|since|once|until|when|except|sauf|ausser|salvo|tranne|"
    r"behalve|sobald|des que|after|apres|nach|despues|dopo|depois|na|bis|jusqu|hasta|fino|ate|tot|"
    r"in|im|en|dans|on|at|state|staat|stand|etat|estado|stato|so|zo|si|solange|tant|mientras)\b)"
)


def phrase_verdicts(text: str, project: str = "") -> list[tuple[str, bool, str]]:
    """(verdict, about the whole project, clause) for each verdict phrase of a prose sentence."""
    found = []
    project_key = re.sub(r"[^a-z0-9 ]+", " ", _text(project)).strip()
    for clause in _clauses(_text(text)):
        plain = re.sub(r"[^a-z0-9/ ]+", " ", clause)
        plain = re.sub(r"\s+", " ", plain).strip()
        m = PHRASE_RE.search(plain)
        if not m:
            continue
        if re.match(r"production|produktions|productie", m.group(0)) and not AFTER_PHRASE_RE.match(
            plain[m.end() :]
        ):
            continue
        verdict, _prod = map_verdict(plain)
        if verdict is None:
            continue
        subject = plain[: m.start()]
        subject = NEGATION_RE.sub(" ", subject)
        whole_by_name = bool(project_key) and project_key in subject
        subject = FILLER_RE.sub(" ", subject)
        whole = not subject.split() or bool(WHOLE_RE.search(subject)) or whole_by_name
        found.append((verdict, whole, clause))
    return found


def polarity(verdict: str) -> str:
    return (
        "no"
        if verdict == "not_ready"
        else "yes"
        if verdict in ("production_ready", "with_reservations")
        else ""
    )
