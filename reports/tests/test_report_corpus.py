"""Floors on the fixture corpus: reports in seven languages and many shapes, each with a truth
file written by hand (reports/tests/corpus). A parser change that reads fewer facts fails here;
`bench/bench_reports.py --corpus --detail` lists what is missed."""

from pathlib import Path

import pytest

from reports.corpus import CATEGORIES, default_domains, run_corpus

CORPUS = Path(__file__).parent / "corpus"
# Measured shares, rounded down: raise them when the parser reads more.
FLOORS = {
    "accepted": 1.0,
    "project": 1.0,
    "verdict": 1.0,  # every verdict right
    "date": 1.0,
    "version": 1.0,
    "stated scores kept": 1.0,
    "scores invented": 1.0,
    "global": 1.0,
    "metrics": 0.99,
    "checklist items and states": 1.0,
    "findings": 0.93,
}
OVERALL_FLOOR = 0.98


@pytest.fixture(scope="module")
def tally():
    return run_corpus(CORPUS, default_domains())


def test_the_corpus_has_at_least_thirty_reports_each_with_its_truth():
    truths = list(CORPUS.glob("*.truth.json"))
    assert len(truths) >= 30
    for truth in truths:
        assert (CORPUS / truth.name.replace(".truth.json", ".md")).exists(), truth.name


def test_no_verdict_is_ever_read_backwards(tally):
    assert tally.inverted_verdicts == []


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_keeps_its_floor(tally, category):
    assert tally.share(category) >= FLOORS[category], [m for m in tally.misses if f": {category}:" in m]


def test_the_overall_share_of_facts_keeps_its_floor(tally):
    assert tally.share() >= OVERALL_FLOOR
