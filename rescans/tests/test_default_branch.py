"""A project without a branch is scanned on the remote's default branch, whatever its name."""

from __future__ import annotations

import pytest

from rescans import workspace
from rescans.tests.scanrepo import commit, git, make_repo


@pytest.fixture
def master_repo(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    repo = make_repo(tmp_path / "repo", {"README.md": "# on main\n"})
    git(repo, "checkout", "-q", "-b", "master")
    sha = commit(repo, {"app.py": "x = 1\n"}, "work on master")
    return repo, sha


def test_an_empty_branch_means_the_remote_default_branch(master_repo):
    repo, master_sha = master_repo
    assert workspace.remote_head(url=str(repo), branch="") == master_sha
    assert workspace.remote_head(url=str(repo), branch="  ") == master_sha
    with workspace.checkout(url=str(repo), branch="") as co:
        assert co.commit_sha == master_sha
        assert (co.path / "app.py").is_file()


def test_a_named_branch_is_still_used_as_given(master_repo):
    repo, master_sha = master_repo
    main_sha = git(repo, "rev-parse", "main")
    assert main_sha != master_sha
    assert workspace.remote_head(url=str(repo), branch="main") == main_sha
    with pytest.raises(workspace.RepositoryError, match="not found"):
        workspace.remote_head(url=str(repo), branch="develop")
