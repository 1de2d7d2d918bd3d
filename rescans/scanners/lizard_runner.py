"""Run by the lizard analyzer in its own process: `python -I lizard_runner.py FILE_LIST`.

lizard's command line stops and prints nothing when its parser fails on one file; this reads
each file of the list on its own, so one unreadable file is skipped (and named) while the others
are measured. Prints one JSON object per line: a function, or a file that could not be read.
Only reads the files; nothing of the repository is run.
"""

from __future__ import annotations

import json
import sys

import lizard


def main(list_file: str) -> int:
    with open(list_file, encoding="utf-8") as handle:
        paths = [line.rstrip("\n") for line in handle if line.strip()]
    out = sys.stdout
    for path in paths:
        try:
            # lizard only prints a message for a file it cannot open: check first, to say so.
            with open(path, "rb"):
                pass
            info = lizard.analyze_file(path)
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file skips that file only
            out.write(json.dumps({"skipped": path, "reason": type(exc).__name__}) + "\n")
            continue
        for function in info.function_list:
            row = {
                "file": path,
                "name": function.name,
                "line": function.start_line,
                "nloc": function.nloc,
                "ccn": function.cyclomatic_complexity,
                "params": function.parameter_count,
            }
            out.write(json.dumps(row) + "\n")
        out.write(json.dumps({"read": path}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
