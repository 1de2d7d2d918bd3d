"""imports_of: the import lines of a source file, read with a quicker pattern when the file has
no require() call; the lines are those of the full pattern."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rescans.practices import IMPORT_LINE_RE, imports_of

PIECES = [
    "import os\n",
    "from django.db import models\n",
    "  use serde::Deserialize;\n",
    "using System.Text;\n",
    "extern crate log;\n",
    '\t"github.com/go-chi/chi/v5"\n',
    "const express = require('express');\n",
    'x = require("a") + require(b)\n',
    "requirements = []\n",
    "importance = 1\n",
    "print('import os')\n",
    "\n",
    "   \n",
    "def f():\n    return 1\n",
    "// require('x') in a comment\n",
    "\r\n",
]


def full_pattern(text: str) -> str:
    return "\n".join(m.group(0) for m in IMPORT_LINE_RE.finditer(text[:200_000]))


def test_the_import_lines_of_files_with_and_without_require() -> None:
    python = "import os\nfrom a import b\n\nvalue = 1\n"
    javascript = "const express = require('express');\nimport x from 'y';\nlet a = 1;\n"
    assert imports_of(python) == "import os\nfrom a import b"
    assert imports_of(javascript) == "require('express')\nimport x from 'y';"
    assert imports_of(python) == full_pattern(python)
    assert imports_of(javascript) == full_pattern(javascript)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_the_quicker_pattern_finds_what_the_full_one_finds(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert imports_of(text) == full_pattern(text)
