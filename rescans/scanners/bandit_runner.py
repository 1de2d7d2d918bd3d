"""Run by the Bandit analyzer in its own process: `python -I bandit_runner.py BANDIT_ARGS...`.

Bandit's command line, with one change to how it walks a file's syntax tree. Bandit prepares a
context (line range, column, file data, a dozen log calls) for every node of the tree and asks
its test set for the tests of that node's type, although most node types (names, attributes,
operators, load/store markers: about 85% of the nodes of Django's code) have no test and no
visitor of their own. This walker still gives every node the parent and sibling links Bandit's
tests read, and still walks into every child, but only prepares and visits the nodes Bandit
would act on: those of a type with a `visit_` method or with tests in the loaded test set.
With `--ignore-nosec` no `# nosec` comment is read, so the runner also runs each node's tests
without the parts that only serve such comments or Bandit's debug log (`LeanTester`): the look-up
of a comment for each test run, the copy of the node's context made through the `copy` module
instead of the dictionary's own method, and the adding of all-zero scores. Bandit's test of
bidirectional control characters (B613) looks for each of ten characters on each line; it now
runs only on files that hold one of them.
Same tests, same order, same results; about half the CPU on Django's production code.
`rescans/tests/test_bandit_runner.py` compares its output with Bandit's own command line.
Only reads the files; nothing of the repository is run.
"""

from __future__ import annotations

import ast
import functools
import sys
from tokenize import detect_encoding
from typing import Any

from bandit.cli import main as bandit_main
from bandit.core import constants, node_visitor, tester
from bandit.core import context as bandit_context
from bandit.core import manager as bandit_manager
from bandit.core import utils as bandit_utils


def _zero_scores() -> dict[str, list[int]]:
    return {"SEVERITY": [0] * len(constants.RANKING), "CONFIDENCE": [0] * len(constants.RANKING)}


# The scores of a test run that found nothing: adding them changes nothing.
NO_SCORES = _zero_scores()
# The name of Bandit's test B613 (bidirectional control characters).
BIDI_TEST = "trojansource"


class FocusedNodeVisitor(node_visitor.BanditNodeVisitor):  # type: ignore[misc]  # untyped
    """Bandit's visitor, preparing a context only for the node types it acts on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visited = {name[len("visit_") :] for name in dir(self) if name.startswith("visit_")}
        tested = {checktype for checktype, tests in self.testset.tests.items() if tests}
        self._acted_on = frozenset(visited | tested)
        _skip_files_without_bidi(self.testset.tests)
        if not self.nosec_lines and not self.debug:
            # No `# nosec` comment was read (`--ignore-nosec`): Bandit's look-up, made for every
            # test on every node it tests, can only find nothing.
            self.tester = LeanTester(self.testset, self.debug, self.nosec_lines, self.metrics)
            self.lean = True
        else:
            self.lean = False

    def pre_visit(self, node: ast.AST) -> bool:
        if not self.lean:
            return bool(super().pre_visit(node))
        # Bandit's context of the node, without its debug log (off unless --debug).
        context: dict[str, Any] = {"imports": self.imports, "import_aliases": self.import_aliases}
        if hasattr(node, "lineno"):
            context["lineno"] = node.lineno
        if hasattr(node, "col_offset"):
            context["col_offset"] = node.col_offset
        if hasattr(node, "end_col_offset"):
            context["end_col_offset"] = node.end_col_offset
        context["node"] = node
        context["linerange"] = bandit_utils.linerange(node)
        context["filename"] = self.fname
        context["file_data"] = self.fdata
        self.context = context
        self.depth += 1
        return True

    def post_visit(self, node: ast.AST) -> None:
        if not self.lean:
            super().post_visit(node)
            return
        self.depth -= 1
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            self.namespace: str = bandit_utils.namespace_path_split(self.namespace)[0]

    def update_scores(self, scores: dict[str, list[int]]) -> None:
        if scores is not NO_SCORES:
            super().update_scores(scores)

    def generic_visit(self, node: ast.AST) -> None:
        if self.debug:  # Bandit's own walk, with its debug output
            super().generic_visit(node)
            return
        acted_on = self._acted_on
        # The same steps for a child in a list and a single child, written out twice: this runs
        # for every node of every file, and a call per node costs more than the step itself.
        for field in node._fields:
            try:
                value = getattr(node, field)
            except AttributeError:  # as ast.iter_fields: an optional field left unset
                continue
            if isinstance(value, list):
                last = len(value) - 1
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        item._bandit_sibling = value[index + 1] if index < last else None  # type: ignore[attr-defined]
                        item._bandit_parent = node  # type: ignore[attr-defined]
                        if item.__class__.__name__ in acted_on:
                            if self.pre_visit(item):
                                self.visit(item)
                                self.generic_visit(item)
                                self.post_visit(item)
                        elif item._fields:  # nothing to prepare: only its children to walk
                            self.generic_visit(item)
            elif isinstance(value, ast.AST):
                value._bandit_sibling = None  # type: ignore[attr-defined]
                value._bandit_parent = node  # type: ignore[attr-defined]
                if value.__class__.__name__ in acted_on:
                    if self.pre_visit(value):
                        self.visit(value)
                        self.generic_visit(value)
                        self.post_visit(value)
                elif value._fields:
                    self.generic_visit(value)


class LeanTester(tester.BanditTester):  # type: ignore[misc]  # untyped
    """Bandit's `run_tests` for a file with no `# nosec` comment read and no debug output.

    Each result is completed and counted as Bandit does; what is left out can change nothing
    here: the look-up of `# nosec` comments in an empty table, and scores of zero. Bandit gives
    each test its own shallow copy of the node's context; Bandit's own tests only read it, so
    when every loaded test is one of Bandit's own, a node's tests share one copy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.share_context = all(
            test.__module__.startswith("bandit.") for tests in self.testset.tests.values() for test in tests
        )

    def run_tests(self, raw_context: dict[str, Any], checktype: str) -> dict[str, list[int]]:
        scores = NO_SCORES
        share = self.share_context
        temp_context = raw_context.copy()  # what copy.copy does with a dict
        context = bandit_context.Context(temp_context)
        for test in self.testset.get_tests(checktype):
            if not share:
                temp_context = raw_context.copy()
                context = bandit_context.Context(temp_context)
            try:
                if hasattr(test, "_config"):
                    result = test(context, test._config)
                else:
                    result = test(context)
                if result is None:
                    continue
                filename = temp_context["filename"]
                result.fname = filename.decode("utf-8") if isinstance(filename, bytes) else filename
                result.fdata = temp_context["file_data"]
                if result.lineno is None:
                    result.lineno = temp_context["lineno"]
                if result.linerange == []:
                    result.linerange = temp_context["linerange"]
                if result.col_offset == -1:
                    result.col_offset = temp_context["col_offset"]
                result.end_col_offset = temp_context.get("end_col_offset", 0)
                result.test = test.__name__
                if result.test_id == "":
                    result.test_id = test._test_id
                self.results.append(result)
                if scores is NO_SCORES:
                    scores = _zero_scores()
                scores["SEVERITY"][constants.RANKING.index(result.severity)] += constants.RANKING_VALUES[
                    result.severity
                ]
                scores["CONFIDENCE"][constants.RANKING.index(result.confidence)] += constants.RANKING_VALUES[
                    result.confidence
                ]
            except Exception as e:  # as Bandit: the error is logged and the next test runs
                self.report_error(test.__name__, context, e)
        return scores


def _skip_files_without_bidi(tests: dict[str, list[Any]]) -> None:
    """Give B613 (bidirectional control characters) only files that hold one of them: it reads
    the file as it does, and on any error reading it, runs as it is (and reports that error)."""
    from bandit.plugins.trojansource import BIDI_CHARACTERS

    for functions in tests.values():
        for index, test in enumerate(functions):
            if test.__name__ == BIDI_TEST and not getattr(test, "_only_with_bidi", False):
                functions[index] = _only_with_bidi(test, BIDI_CHARACTERS)


def _only_with_bidi(test: Any, characters: tuple[str, ...]) -> Any:
    @functools.wraps(test)  # its name, test id and checks: Bandit reads them from the function
    def only_with_bidi(context: Any, *args: Any) -> Any:
        data = context.file_data
        try:
            data.seek(0)
            encoding, _ = detect_encoding(data.readline)
            data.seek(0)
            text = data.read().decode(encoding)
        except Exception:
            return test(context, *args)
        if not any(char in text for char in characters):
            return None
        return test(context, *args)

    only_with_bidi._only_with_bidi = True  # type: ignore[attr-defined]
    return only_with_bidi


def main() -> None:
    bandit_manager.b_node_visitor.BanditNodeVisitor = FocusedNodeVisitor
    sys.argv[0] = "bandit"
    bandit_main.main()


if __name__ == "__main__":
    main()
