"""A worker's memory of a kept checkout's files is kept beside the checkout: another process reads
it back and reads again only the files that changed; a file it cannot trust is ignored."""

from __future__ import annotations

import logging
import pathlib
import pickle
import zlib
from pathlib import Path

import pytest
from django.conf import settings

from findings.models import Finding
from projects.models import Audit, Project
from rescans import incremental_scanners, inventory, kept_memos
from rescans import services as service
from rescans.inventory import build_inventory
from rescans.models import RescanRun
from rescans.scanners import checks
from rescans.tests.analyzer_repos import JAVASCRIPT_VULNERABLE, PYTHON_VULNERABLE, write
from rescans.tests.scanrepo import commit, make_repo
from rescans.tests.test_inventory_memo import described
from rescans.workspace import MEMO_FILE

FILES = {
    "README.md": "# Demo\n",
    "app/views.py": PYTHON_VULNERABLE["app/views.py"],
    "app/util.py": "import os\n\n\ndef here():\n    return os.getcwd()\n",
    "app/rules.py": "def rule(x):\n    return x * 2\n",
    "src/server.js": JAVASCRIPT_VULNERABLE["src/server.js"],
    "tests/test_views.py": PYTHON_VULNERABLE["tests/test_views.py"],
}


def forget() -> None:
    """What a new process of the worker remembers: nothing."""
    inventory._MEMO.clear()
    checks._MEMO.clear()
    incremental_scanners.clear_memos()


@pytest.fixture
def facts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose facts the inventory reads (rather than remembers), in order."""
    read: list[str] = []
    file_facts = inventory._file_facts

    def noted(root: Path, rel: str, language: str):  # type: ignore[no-untyped-def]
        read.append(rel)
        return file_facts(root, rel, language)

    monkeypatch.setattr(inventory, "_file_facts", noted)
    return read


# --- the file itself --------------------------------------------------------------------------


def test_the_memory_reads_back_as_it_was_written(tmp_path: Path, facts_read: list[str]) -> None:
    forget()
    root = write(tmp_path / "repo", FILES)
    first = build_inventory(root)
    assert kept_memos.save(root, tmp_path / "memo")
    remembered = inventory._MEMO.snapshot(root)

    forget()
    assert kept_memos.load(root, tmp_path / "memo")
    assert inventory._MEMO.snapshot(root) == remembered
    facts_read.clear()
    again = build_inventory(root)
    assert facts_read == []  # every file remembered
    assert described(again) == described(first)


def test_a_process_that_remembers_the_checkout_does_not_read_the_file(tmp_path: Path) -> None:
    forget()
    root = write(tmp_path / "repo", FILES)
    build_inventory(root)
    assert kept_memos.save(root, tmp_path / "memo")
    assert kept_memos.load(root, tmp_path / "memo") is False


def kept(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout walked by a process that kept its memory of it, and the kept file."""
    forget()
    root = write(tmp_path / "repo", FILES)
    build_inventory(root)
    memo = tmp_path / "memo"
    assert kept_memos.save(root, memo)
    return root, memo


def tamper(file: Path, at: int) -> None:
    data = bytearray(file.read_bytes())
    data[at] ^= 0x01
    file.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["signature", "payload", "end"])
def test_a_damaged_memory_is_ignored(
    tmp_path: Path, where: str, caplog: pytest.LogCaptureFixture, facts_read: list[str]
) -> None:
    root, memo = kept(tmp_path)
    size = memo.stat().st_size
    tamper(memo, {"signature": len(kept_memos.MAGIC) + 3, "payload": size // 2, "end": size - 1}[where])

    forget()
    with caplog.at_level(logging.WARNING, logger="rescans.kept_memos"):
        assert kept_memos.load(root, memo) is False
    assert "signature is wrong" in caplog.text
    assert inventory._MEMO.snapshot(root) == {}
    facts_read.clear()
    build_inventory(root)
    assert sorted(facts_read) == sorted(p for p in FILES if p.endswith((".py", ".js")))


def signed(payload: bytes) -> bytes:
    """A memory file as auditor writes it, around any payload (as one holding the key could)."""
    return kept_memos.MAGIC + kept_memos._signature(payload) + payload


def test_a_signed_memory_holding_anything_but_memo_classes_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forget()
    root = write(tmp_path / "repo", FILES)
    planted = tmp_path / "planted"

    class Plant:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (pathlib.Path.touch, (planted,))

    data = pickle.dumps({"inventory": {"app/views.py": ((0,), Plant())}})
    memo = tmp_path / "memo"
    memo.write_bytes(signed(kept_memos.code_key() + zlib.compress(data)))

    with caplog.at_level(logging.WARNING, logger="rescans.kept_memos"):
        assert kept_memos.load(root, memo) is False
    assert "does not read back (UnpicklingError)" in caplog.text
    assert not planted.exists()  # the call it held was never made
    assert inventory._MEMO.snapshot(root) == {}


def test_a_memory_written_by_other_analyzer_code_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, memo = kept(tmp_path)
    forget()
    monkeypatch.setattr(kept_memos, "code_key", lambda: b"\x00" * 32)
    assert kept_memos.load(root, memo) is False
    assert inventory._MEMO.snapshot(root) == {}


# --- through the re-scan ----------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, settings, tech_lead) -> Project:  # type: ignore[no-untyped-def]
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    settings.SCAN_INCREMENTAL_MAX_CHANGED_SHARE = 1.0  # a tiny repository: any change is a big share
    repo = make_repo(tmp_path / "repo", FILES)
    return Project.objects.create(
        name="kept", slug="kept", tech_lead=tech_lead, repository_url=str(repo), branch="main"
    )


def rescan(project: Project, *, force: bool = False) -> RescanRun:
    queued = service.project_rescan_request(project_id=project.pk, force=force, enqueue=False)
    assert queued is not None
    audit = service.audit_rescan_run(audit_id=queued.pk)
    assert audit is not None and audit.status == Audit.Status.COMPLETED, audit and audit.summary
    return RescanRun.objects.get(audit=audit)


def active_findings(project: Project) -> list[tuple]:
    return sorted(
        Finding.objects.filter(project=project, status__in=Finding.ACTIVE_STATUSES).values_list(
            "fingerprint", "tool", "rule_id", "file_path", "line", "title"
        )
    )


def memo_file(project: Project) -> Path:
    """The kept memory beside the project's kept checkout (which may not exist)."""
    (folder,) = Path(settings.SCAN_CHECKOUT_CACHE_DIR).glob(f"*p{project.pk}_*")
    return folder / MEMO_FILE


@pytest.mark.django_db
def test_another_process_reads_back_the_memory_and_reads_only_the_changed_file(
    project: Project, facts_read: list[str]
) -> None:
    forget()
    assert not rescan(project).incremental
    kept = memo_file(project)
    written = kept.stat().st_mtime_ns

    commit(Path(project.repository_url), {"app/util.py": FILES["app/util.py"] + "\nimport sys\n"}, "one")
    forget()  # another process of the worker's pool takes the next run
    facts_read.clear()
    run = rescan(project)
    assert run.incremental and run.files_analysed == 1
    assert facts_read == ["app/util.py"]  # the others' facts read back from the kept memory
    assert kept.stat().st_mtime_ns == written  # an incremental run leaves the kept memory as it is
    incremental_findings = active_findings(project)
    assert any(row[2] == "F401" and row[3] == "app/util.py" for row in incremental_findings)

    forget()
    facts_read.clear()
    full = rescan(project, force=True)
    assert not full.incremental
    assert active_findings(project) == incremental_findings
    assert kept.stat().st_mtime_ns != written  # a full run writes it again


@pytest.mark.django_db
def test_without_a_kept_memory_another_process_reads_every_file(
    project: Project, facts_read: list[str]
) -> None:
    forget()
    rescan(project)
    memo_file(project).unlink()
    commit(Path(project.repository_url), {"app/util.py": FILES["app/util.py"] + "\nimport sys\n"}, "one")
    forget()
    facts_read.clear()
    run = rescan(project)
    assert run.incremental
    assert sorted(facts_read) == sorted(p for p in FILES if p.endswith((".py", ".js")))
    assert memo_file(project).exists()  # written again: there was none
