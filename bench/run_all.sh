#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other; each prints its own figures.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY bench/bench_pages.py
$PY bench/bench_checklists.py
$PY bench/bench_rescan.py
$PY bench/load.py
$PY bench/bench_reports.py
$PY bench/bench_import.py
# Re-scans local clones of a panel of public repositories; says why and skips without them.
$PY bench/calibration.py
