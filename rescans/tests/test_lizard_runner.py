"""The lizard runner's quicker analysis measures exactly what plain lizard measures.

Compared on corner cases written here, on the test repositories of every language, on the
rule pack's test cases and on real code (this project's, Django's and lizard's own sources):
every function's name, lines, complexity, NLOC and parameters, and the runner's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import django
import lizard
import lizard_languages
import pytest
from lizard_ext import auto_read
from lizard_languages.python import PythonReader

from rescans.scanners import lizard_runner
from rescans.scanners.lizard_runner import QuickAnalyzer, QuickPythonReader
from rescans.tests.analyzer_repos import REPOSITORIES, write

ROOT = Path(__file__).resolve().parents[2]
DJANGO = Path(django.__file__).resolve().parent

PYTHON_CORNERS = '''#
# -*- coding: utf-8 -*-
import re


def formats(value, *, width=10, **kwargs):  # an empty comment follows
    #
    text = f"{value!r:>{width}} {'yes' if value else 'no'} {{literal}}"
    nested = f"{f'{value if value else width}'}" + rf'\\d{width}' + F"{kwargs.get('a') or 'b'}"
    return text, nested, f"""{
        value and width or None
    }""", Rb"bytes", f


def soft_keywords(command, match, case):
    match command.split():
        case [action]:
            return action
        case [action, obj] if obj and action:
            return obj
        case (x, y):
            return x
        case _:
            pass
    match = re.match("a", command)
    case = match and match.group(0)
    match(case)
    case[0]
    return case


class Shapes:
    """A class docstring."""

    def area(self, a, b=(1, 2), c=lambda x, y: x + y, *args, d: int = 3, **kw) -> int:
        """A docstring
        on two lines."""
        value = a if b else c
        """A string used as a comment
        over two lines."""
        total = (a +
                 b) \\
            + c
        return value and total or 0

    def forgiven(self, x):
        #lizard forgives(CCN)
        if x:
            return 1
        return 2

    def forgiven_all(self, x):
        # lizard forgive
        if x and x > 1 or x < 0:
            return 1
        return 0

def tabs(x):
\tif x:
\t\treturn 1
\treturn 0

async def generic[T](items: list[T], key: Callable[[T], int]) -> T:
    for item in items:
        while item:
            try:
                return item
            except ValueError:
                continue
            finally:
                break
    return items[0]

def tail(x): return x if x else None
#'''

GENERATED = """def before(x):
    if x:
        return 1
    return 0
LIMIT = 1
# GENERATED CODE: do not edit
def after(y):
    if y:
        return 2
    return y
"""

C_CORNERS = """#include <stdio.h>
#define TWICE(x) \\
    ((x) + \\
     (x))
/* a comment
   over three
   lines */
int pick(int a, int b, int c) {
#if defined(FAST)
    return a ? b : c;
#else
    if (a && b || c) { return 1; }
    for (int i = 0; i < a; i++) { while (b--) { c++; } }
    switch (a) { case 1: return 2; case 2: return 3; default: return 0; }
#endif
}
"""

JS_CORNERS = """/* a comment
   over two lines */
function area(a, b = 2, ...rest) {
  const text = `${a ? 'yes' : 'no'} ${b || rest.length}`;
  if (a && b) { return /x\\/y/.test(text) ? 1 : 2; }
  return rest.map((r) => r > 1 ? r : 0);
}
const obj = { method(x) { return x ?? 1; }, arrow: async (y) => { for (const z of y) { if (z) return z; } } };
// GENERATED CODE below
function hidden(x) { if (x) { return 1; } return 2; }
"""


def corner_files(root: Path) -> list[Path]:
    files = {
        "corners.py": PYTHON_CORNERS.encode(),
        "corners_crlf.py": PYTHON_CORNERS.replace("\n", "\r\n").encode(),
        "corners_bom.py": b"\xef\xbb\xbf" + PYTHON_CORNERS.encode(),
        "latin1.py": "def caf\xe9(x):\n    # caf\xe9\n    return x or 1\n".encode("latin-1"),
        "generated.py": GENERATED.encode(),
        "empty.py": b"",
        "corners.c": C_CORNERS.encode(),
        "corners.js": JS_CORNERS.encode(),
        "corners.ts": JS_CORNERS.encode(),
        "stub.pyi": b"def f(x: int) -> int: ...\n",
    }
    paths = []
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def repository_files(root: Path) -> list[Path]:
    paths = []
    for language, versions in sorted(REPOSITORIES.items()):
        for kind, files in zip(("vulnerable", "clean"), versions, strict=True):
            repo = write(root / language / kind, files)
            paths += sorted(p for p in repo.rglob("*") if p.is_file())
    return paths


def real_files() -> list[Path]:
    return (
        sorted((ROOT / "rescans").glob("*.py"))
        + sorted((ROOT / "rescans" / "semgrep_rules").rglob("*.*"))
        + sorted((DJANGO / "db" / "models").rglob("*.py"))
        + sorted((DJANGO / "contrib" / "admin" / "static" / "admin" / "js").glob("*.js"))
        + sorted(Path(lizard_languages.__file__).parent.glob("*.py"))
    )


def measured(info) -> tuple:
    """Everything lizard measures of a file and its functions, but the token counts."""
    functions = [
        (
            f.name,
            f.long_name,
            f.start_line,
            f.end_line,
            f.nloc,
            f.cyclomatic_complexity,
            f.parameters,
            f.full_parameters,
            sorted(f.forgiven_metrics),
            f.top_nesting_level,
        )
        for f in info.function_list
    ]
    return info.filename, info.nloc, functions


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("lizard")
    return corner_files(root) + repository_files(root) + real_files()


def test_the_quicker_analysis_measures_what_lizard_measures(files):
    quick = QuickAnalyzer()
    compared = 0
    for path in files:
        expected = measured(lizard.analyze_file(str(path)))
        assert measured(quick(str(path))) == expected, path
        compared += len(expected[2])
    assert compared > 2000  # real functions were compared, not only empty files


def test_python_files_get_lizards_tokens_in_one_call(files):
    python = [p for p in files if p.suffix == ".py"]
    quick = 0
    for path in python:
        code = auto_read(str(path))
        tokens = QuickPythonReader.generate_tokens(code)
        assert list(tokens) == list(PythonReader.generate_tokens(code)), path
        quick += isinstance(tokens, list)
    assert quick == len(python)  # none fell back to lizard's token-by-token reading


def test_the_corner_cases_are_measured(tmp_path):
    corner_files(tmp_path)
    functions = {f.name: f for f in QuickAnalyzer()(str(tmp_path / "corners.py")).function_list}
    # The forgiven functions are left out; lizard does not close the one-line function at the end.
    assert set(functions) == {"formats", "soft_keywords", "area", "tabs", "generic"}
    assert functions["formats"].cyclomatic_complexity == 6  # conditions inside f-strings count
    assert functions["soft_keywords"].cyclomatic_complexity == 8  # `case` counts, `match =` not
    assert functions["area"].parameter_count == 7
    generated = QuickAnalyzer()(str(tmp_path / "generated.py"))
    assert [f.name for f in generated.function_list] == ["before"]  # nothing after the marker


def test_the_runner_prints_what_it_prints_with_plain_lizard(files, tmp_path, capsys, monkeypatch):
    list_file = tmp_path / "files.txt"
    list_file.write_text("".join(f"{p}\n" for p in files) + f"{tmp_path / 'gone.py'}\n")
    assert isinstance(lizard_runner.analyzer(), QuickAnalyzer)
    lizard_runner.main(str(list_file))
    quick = capsys.readouterr().out

    monkeypatch.setattr(lizard_runner, "lizard_version", "0.0")  # not the version it was checked on
    assert lizard_runner.analyzer() is lizard.analyze_file
    lizard_runner.main(str(list_file))
    plain = capsys.readouterr().out

    assert quick == plain
    rows = [json.loads(line) for line in quick.splitlines()]
    assert sum("read" in row for row in rows) == len(files)
    assert rows[-1] == {"skipped": str(tmp_path / "gone.py"), "reason": "FileNotFoundError"}
