"""Encoding repair of report files: UTF-8 read as Mac Roman or Windows-1252 is restored."""

from pathlib import Path

import ftfy.bad_codecs  # noqa: F401
import pytest

from reports.encoding import decode_report
from reports.errors import ReportError

REPORTS = Path(__file__).parent / "samples"
CLEAN = "# Audit sécurité ✅\n\n**Statut** : prêt avec réserves 🟡\n- [ ] Vérifier l’accès\n"


def test_the_mac_roman_sample_is_repaired_as_a_whole():
    text, notes = decode_report((REPORTS / "003_1458062adef007ce.txt").read_bytes())
    assert "**Date**: Février 2025" in text
    assert "## 📊 Vue d'Ensemble" in text
    assert "- ✅ Variables d'environnement" in text
    assert "√" not in text and "‚Ä" not in text
    assert notes == ["Repaired the encoding: the report was UTF-8 read as Mac Roman."]


def test_utf8_read_as_mac_roman_becomes_the_original_text():
    garbled = CLEAN.encode("utf-8").decode("mac_roman")
    assert "s√©curit√©" in garbled and "‚úÖ" in garbled
    text, _notes = decode_report(garbled.encode("utf-8"))
    assert text == CLEAN


def test_utf8_read_as_windows_1252_becomes_the_original_text():
    garbled = CLEAN.encode("utf-8").decode("sloppy-windows-1252")
    assert "sÃ©curitÃ©" in garbled
    text, notes = decode_report(garbled.encode("utf-8"))
    assert text == CLEAN
    assert notes == ["Repaired the encoding: the report was UTF-8 read as Windows-1252."]


def test_the_garbled_french_fixture_is_repaired_to_its_clean_twin():
    clean, _ = decode_report((REPORTS / "fr_tableaux.md").read_bytes())
    repaired, notes = decode_report((REPORTS / "fr_tableaux_cp1252_garbled.md").read_bytes())
    assert repaired == clean
    assert notes


def test_clean_text_is_left_exactly_as_it_is():
    text, notes = decode_report(CLEAN.encode("utf-8"))
    assert text == CLEAN
    assert notes == []


def test_a_file_garbled_only_in_places_is_repaired_line_by_line():
    garbled_line = "- Tests: ⚠️ Partiels".encode().decode("mac_roman")
    mixed = "# Rapport ✅ propre\n" + garbled_line + "\n"
    text, notes = decode_report(mixed.encode("utf-8"))
    assert text == "# Rapport ✅ propre\n- Tests: ⚠️ Partiels\n"
    assert notes


def test_a_file_saved_as_windows_1252_is_read_as_such():
    text, notes = decode_report("# Sécurité\r\n".encode("cp1252"))
    assert text == "# Sécurité\n"
    assert notes == ["The file is not UTF-8; it was read as Windows-1252."]


def test_a_binary_file_is_refused_with_a_clear_message():
    with pytest.raises(ReportError, match="binary"):
        decode_report(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_utf8_read_as_latin_1_or_as_the_dos_code_page_is_repaired_by_ftfy():
    for wrong in ("latin-1", "cp437"):
        garbled = CLEAN.encode("utf-8").decode(wrong)
        text, notes = decode_report(garbled.encode("utf-8"))
        assert text == CLEAN, wrong
        assert notes == ["Repaired garbled characters (ftfy)."]


def test_utf16_with_a_byte_order_mark_is_read():
    text, notes = decode_report(CLEAN.encode("utf-16"))
    assert text == CLEAN and notes == []
