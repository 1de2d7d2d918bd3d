"""Property: the importer never crashes on a report. Any text either imports or is refused with a
ReportError (and then nothing changed)."""

import os

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from projects.models import Audit, Project
from reports.errors import ReportError
from reports.services import report_import

LABELS = [
    "Date",
    "Statut",
    "Status",
    "Verdict",
    "Project",
    "Projet",
    "Version",
    "Tests",
    "Coverage",
    "Couverture",
    "Security issues",
    "Files",
    "Lines of code",
    "Sécurité",
    "Security",
    "Docs",
    "Global",
    "Overall",
    "Response time",
    "Disponibilité",
    "Score",
    "High",
    "Critique",
    "Problems",
    "Vulnérabilités",
    "Findings",
]
VALUES = [
    "2025-13-45",
    "99999999999999 passed",
    "-3/10",
    "11/10",
    "250/100",
    "101%",
    "1e9",
    "$(date)",
    "Février",
    "Production ready",
    "avec réserves",
    "~",
    "N/A",
    "0",
    "∞",
    "12k",
    "`a/b.py:99999999999`",
    "line 0",
    "✅",
    "s√©curit√©",
    "|",
    "**",
    "99999999999",
    "0,5/10",
    "7.55/10",
    "1 204 fichiers",
    "ready",
    "not ready",
]
text_piece = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
label = st.sampled_from(LABELS)
value = st.one_of(st.sampled_from(VALUES), text_piece)
line = st.one_of(
    st.builds(lambda h, t: "#" * h + " " + t, st.integers(1, 6), st.one_of(label, text_piece)),
    st.builds(lambda k, v: f"**{k}:** {v}", label, value),
    st.builds(lambda k, v: f"- {k}: {v}", label, value),
    st.builds(lambda k, v: f"| {k} | {v} |", label, value),
    st.just("|---|---|"),
    st.just("| Domain | Score |"),
    st.builds(lambda box, t: f"- [{box}] {t}", st.sampled_from([" ", "x", "X"]), text_piece),
    st.just("```"),
    text_piece,
)
reports = st.lists(line, max_size=40).map("\n".join)


class Rollback(Exception):
    pass


@settings(
    max_examples=int(os.environ.get("REPORT_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=reports, encoding=st.sampled_from(["utf-8", "utf-16", "mac_roman-garbled"]))
@example(
    text="# Audit\n\n**Tests:** 99999999999999 passed\n- Security: 5/10\n\n## Problems\n\n"
    "- crash in a/b.py:99999999999 (high)\n| Issue | Line |\n|---|---|\n| x | 99999999999 |",
    encoding="utf-8",
)
def test_any_text_is_imported_or_refused_with_a_clear_error(db, text, encoding):
    if encoding == "mac_roman-garbled":
        content = text.encode("utf-8").decode("mac_roman", errors="replace").encode("utf-8")
    else:
        content = text.encode(encoding)
    try:
        with transaction.atomic():
            project = Project.objects.create(name="Fuzz", slug="fuzz")
            try:
                result = report_import(content=content, file_name="fuzz.md", project=project)
            except ReportError as exc:
                assert str(exc)
                assert not Audit.objects.exists()
            else:
                assert Audit.objects.get().pk == result.audit.pk
            raise Rollback
    except Rollback:
        pass
