"""The languages auditor tells apart, by file extension: one table for the repository inventory
(programming languages, whose lines analyzers cover) and the built-in checks' line metrics."""

from __future__ import annotations

# Every language auditor names, by file extension.
LANGUAGE_BY_EXTENSION = {
    ".py": "Python",
    ".pyi": "Python",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".jsx": "JavaScript",
    ".ts": "TypeScript",
    ".mts": "TypeScript",
    ".cts": "TypeScript",
    ".tsx": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".kt": "Kotlin",
    ".kts": "Kotlin",
    ".scala": "Scala",
    ".groovy": "Groovy",
    ".rb": "Ruby",
    ".php": "PHP",
    ".cs": "C#",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".hh": "C++",
    ".m": "Objective-C",
    ".mm": "Objective-C",
    ".swift": "Swift",
    ".dart": "Dart",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".lua": "Lua",
    ".pl": "Perl",
    ".pm": "Perl",
    ".r": "R",
    ".sh": "Shell",
    ".bash": "Shell",
    ".ps1": "PowerShell",
    ".vue": "Vue",
    ".svelte": "Svelte",
    ".sol": "Solidity",
    ".zig": "Zig",
    ".hs": "Haskell",
    ".fs": "F#",
    ".clj": "Clojure",
    ".sql": "SQL",
    ".html": "HTML",
    ".css": "CSS",
    ".scss": "CSS",
}
# Markup, style sheets and SQL files (schemas and seed data): no analyzer reads them for
# security or complexity, so the inventory leaves them out (counting them would only dilute the
# coverage); the built-in checks count their lines.
NOT_CODE = frozenset({"SQL", "HTML", "CSS"})
# Extensions the built-in checks' line metrics (files and lines per language, lines of code)
# have never counted: left out there so those stored metrics stay comparable between re-scans.
NOT_IN_LINE_METRICS = frozenset(
    {
        ".mts",
        ".cts",
        ".kts",
        ".groovy",
        ".cxx",
        ".hh",
        ".m",
        ".mm",
        ".erl",
        ".pm",
        ".ps1",
        ".sol",
        ".zig",
        ".hs",
        ".fs",
        ".clj",
    }
)
CODE_LANGUAGE_BY_EXTENSION = {
    ext: lang for ext, lang in LANGUAGE_BY_EXTENSION.items() if lang not in NOT_CODE
}
LINE_METRIC_LANGUAGE_BY_EXTENSION = {
    ext: lang for ext, lang in LANGUAGE_BY_EXTENSION.items() if ext not in NOT_IN_LINE_METRICS
}
