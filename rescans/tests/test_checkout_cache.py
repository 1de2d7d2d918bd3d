"""The project's checkout kept between re-scans: brought to the new commit exactly, as safe as a
fresh clone, used by one worker at a time, and replaced by a fresh clone whenever in doubt."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from rescans import workspace
from rescans.tests.scanrepo import commit, git, make_repo


@pytest.fixture
def cache(tmp_path, settings) -> Path:
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    settings.SCAN_CHECKOUT_CACHE_DIR = str(tmp_path / "cache")
    return tmp_path / "cache"


def links_under(root: Path) -> list[str]:
    return [
        os.path.join(folder, name)
        for folder, dirs, files in os.walk(root)
        for name in dirs + files
        if os.path.islink(os.path.join(folder, name))
    ]


def tree(root: Path) -> dict[str, str]:
    """Every file of a checkout but git's own, with its content."""
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def test_the_next_re_scan_brings_the_kept_checkout_to_the_new_commit_exactly(tmp_path, cache):
    repo = make_repo(tmp_path / "repo", {"pkg/a.py": "a = 1\n", "pkg/gone.py": "g = 1\n"})
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as first:
        kept = first.path
        (kept / ".git" / "kept-marker").write_text("the same clone\n")
        # What analyzers or a hostile tree might leave behind: changed, added and ignored files.
        (first.path / "pkg" / "a.py").write_text("changed by the run\n")
        (first.path / "left.py").write_text("left behind\n")
        (first.path / ".cache").mkdir()
        (first.path / ".cache" / "x").write_text("cache\n")
    assert kept.is_dir()
    commit(repo, {"pkg/b.py": "b = 2\n"}, "two")
    git(repo, "rm", "-q", "pkg/gone.py")
    git(repo, "commit", "-q", "-m", "three")
    sha = git(repo, "rev-parse", "HEAD")

    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as second:
        assert second.path == kept
        assert (kept / ".git" / "kept-marker").is_file()  # fetched into, not cloned again
        assert second.commit_sha == sha
        kept_tree = tree(second.path)
    with workspace.checkout(url=str(repo), branch="main") as fresh:
        assert fresh.path != kept
        assert (
            kept_tree
            == tree(fresh.path)
            == {
                "pkg/a.py": "a = 1\n",
                "pkg/b.py": "b = 2\n",
            }
        )


def test_links_are_removed_from_the_kept_checkout_on_every_run(tmp_path, cache):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "web.env").write_text("SECRET_KEY=not-for-the-repository\n")
    repo = make_repo(tmp_path / "repo")
    (repo / "leak.py").symlink_to("../outside/web.env")
    commit(repo, {"x.py": "x = 1\n"}, "a link")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        assert links_under(co.path) == []
        assert [link.path for link in co.removed_links] == ["leak.py"]
    (repo / "pkg").mkdir()
    (repo / "pkg" / "root").symlink_to("/")
    commit(repo, {"y.py": "y = 1\n"}, "another link")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        assert links_under(co.path) == []
        # The link git restores in the kept tree is removed again, and the run says so again.
        assert sorted(link.path for link in co.removed_links) == ["leak.py", "pkg/root"]
        assert not (co.path / "leak.py").exists()


def test_a_worker_finding_the_checkout_in_use_clones_afresh(tmp_path, cache):
    repo = make_repo(tmp_path / "repo")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as first:
        kept = first.path
        with workspace.checkout(url=str(repo), branch="main", cache_key="7") as second:
            assert second.path != kept
            assert second.commit_sha == first.commit_sha
            fresh = second.path
    assert not fresh.exists()
    assert kept.is_dir()


def test_a_kept_checkout_whose_git_configuration_changed_is_cloned_again(tmp_path, cache):
    repo = make_repo(tmp_path / "repo")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        config = co.path / ".git" / "config"
        config.write_text(config.read_text() + '[core]\n\tpager = "touch pwned"\n')
        (co.path / "marker").write_text("from the first run\n")
    sha = commit(repo, {"x.py": "x = 1\n"}, "two")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        assert co.commit_sha == sha
        assert "pwned" not in (co.path / ".git" / "config").read_text()
        assert not (co.path / "marker").exists()


def test_a_broken_kept_checkout_is_replaced_by_a_fresh_clone(tmp_path, cache):
    repo = make_repo(tmp_path / "repo")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        (co.path / ".git" / "HEAD").write_text("garbage\n")
    sha = commit(repo, {"x.py": "x = 1\n"}, "two")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        assert co.commit_sha == sha
        assert (co.path / "x.py").read_text() == "x = 1\n"


def test_another_repository_url_gets_its_own_checkout(tmp_path, cache):
    one = make_repo(tmp_path / "one", {"one.py": "1\n"})
    two = make_repo(tmp_path / "two", {"two.py": "2\n"})
    with workspace.checkout(url=str(one), branch="main", cache_key="7") as co:
        first = co.path
    with workspace.checkout(url=str(two), branch="main", cache_key="7") as co:
        assert co.path != first
        assert (co.path / "two.py").is_file() and not (co.path / "one.py").exists()


def test_the_cache_is_off_when_its_folder_is_not_private(tmp_path, cache):
    cache.mkdir()
    os.chmod(cache, 0o777)  # noqa: S103 - a folder other users could plant a clone in
    repo = make_repo(tmp_path / "repo")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        path = co.path
    assert not path.exists()
    assert list(cache.iterdir()) == []


def test_the_cache_is_off_when_the_setting_is_empty(tmp_path, cache, settings):
    settings.SCAN_CHECKOUT_CACHE_DIR = ""
    repo = make_repo(tmp_path / "repo")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        path = co.path
    assert not path.exists()


def test_the_lock_is_released_when_the_scan_fails(tmp_path, cache):
    repo = make_repo(tmp_path / "repo")
    with pytest.raises(RuntimeError), workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        folder = co.path.parent
        raise RuntimeError("scanner crashed")
    fd = os.open(folder / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
    finally:
        os.close(fd)


def test_the_same_commit_checked_out_again_is_restored_to_the_commit(tmp_path, cache):
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    (repo / "leak.py").symlink_to("/etc/hostname")
    sha = commit(repo, {"b.py": "b = 1\n"}, "a link")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        (co.path / "a.py").unlink()
        (co.path / "b.py").write_text("import os\n")
    with workspace.checkout(url=str(repo), branch="main", cache_key="7") as co:
        assert co.commit_sha == sha
        assert tree(co.path) == {"a.py": "a = 1\n", "b.py": "b = 1\n"}
        assert links_under(co.path) == [] and [link.path for link in co.removed_links] == ["leak.py"]


@pytest.mark.django_db
def test_a_kept_checkout_compares_with_a_commit_rewritten_away_and_finds_what_a_full_run_finds(
    tmp_path, cache, tech_lead, settings
):
    from rescans.tests.test_incremental import findings_of, project_on, rescan, step

    settings.SCAN_INCREMENTAL_MAX_CHANGED_SHARE = 1.0  # a tiny repository

    repo = make_repo(
        tmp_path / "repo", {"app/views.py": "import pickle\n\n\ndef f(d):\n    return pickle.loads(d)\n"}
    )
    project = project_on(repo, tech_lead, "kept", scanners=["ruff", "bandit"])
    rescan(project)
    step(repo, write={"app/util.py": "import os\n"})
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")  # the scanned commit is gone
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")

    _audit, run = rescan(project)
    assert run.incremental and run.files_analysed == 1, run.scan_mode_note
    full = project_on(repo, tech_lead, "full", scanners=["ruff", "bandit"])
    rescan(full)
    assert findings_of(project) == findings_of(full)
    assert any(row[1] == "bandit" for row in findings_of(project))
