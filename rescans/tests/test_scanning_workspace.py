"""Repository URLs, branches and the temporary checkout of a re-scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescans import workspace
from rescans.tests.scanrepo import commit, make_repo
from rescans.workspace import RepositoryError


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://github.com/org/repo.git", "https"),
        ("https://user:token@gitlab.example.com:8443/group/repo", "https"),  # pragma: allowlist secret
        ("ssh://git@github.com/org/repo.git", "ssh"),
        ("git@github.com:org/repo.git", "ssh"),
    ],
)
def test_https_and_ssh_repository_urls_are_accepted(url, kind):
    assert workspace.validate_repository_url(url).kind == kind


@pytest.mark.parametrize(
    "url, message",
    [
        ("ext::sh -c touch% /tmp/pwned", "spaces or control"),
        ("ext::sh%20-c%20id", "remote helpers"),
        ("fd::17", "remote helpers"),
        ("file:///etc", "is not allowed"),
        ("git://example.com/repo", "is not allowed"),
        ("http://example.com/repo", "is not allowed"),
        ("--upload-pack=touch /tmp/x", "spaces or control"),
        ("-uhttps://x", "must not start with '-'"),
        ("https://-oProxyCommand=x/repo", "no valid host"),
        ("ssh://-oProxyCommand=x/repo", "no valid host"),
        ("https://github.com", "no repository path"),
        ("relative/path", "is not allowed"),
        ("", "no repository URL"),
    ],
)
def test_other_transports_options_and_malformed_urls_are_refused(url, message):
    with pytest.raises(RepositoryError, match=message):
        workspace.validate_repository_url(url)


def test_local_paths_are_refused_unless_under_a_configured_root(tmp_path, settings):
    inside = tmp_path / "allowed" / "repo"
    inside.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    settings.SCAN_LOCAL_ROOTS = []
    with pytest.raises(RepositoryError, match="disabled"):
        workspace.validate_repository_url(str(inside))

    settings.SCAN_LOCAL_ROOTS = [str(tmp_path / "allowed")]
    assert workspace.validate_repository_url(str(inside)) == workspace.Repository("local", inside.as_uri())
    with pytest.raises(RepositoryError, match="not under one of SCAN_LOCAL_ROOTS"):
        workspace.validate_repository_url(str(outside))
    # ".." and symlinks are resolved before the check.
    with pytest.raises(RepositoryError, match="not under"):
        workspace.validate_repository_url(str(tmp_path / "allowed" / ".." / "elsewhere"))
    (tmp_path / "allowed" / "link").symlink_to(outside)
    with pytest.raises(RepositoryError, match="not under"):
        workspace.validate_repository_url(str(tmp_path / "allowed" / "link"))


@pytest.mark.parametrize("branch", ["main", "release/2.1", "feature/JIRA-12_fix", "v1.0"])
def test_ordinary_branch_names_are_accepted(branch):
    assert workspace.validate_branch(branch) == branch


@pytest.mark.parametrize(
    "branch",
    [
        "--upload-pack=x",
        "-b",
        "a..b",
        "a b",
        "x@{1}",
        "ends/",
        "x.lock",
        "a//b",
        ".hidden",
        "a/.b",
        "$(id)",
        "a;b",
        "a\nb",
    ],
)
def test_branch_names_git_would_refuse_or_read_as_options_are_refused(branch):
    with pytest.raises(RepositoryError, match="not a valid git branch name"):
        workspace.validate_branch(branch)


def test_credentials_in_urls_are_redacted_from_messages():
    # pragma: allowlist nextline secret
    text = "fatal: could not read from https://bot:s3cr3t-token@git.example.com/org/repo.git"
    assert workspace.redact(text) == "fatal: could not read from https://***@git.example.com/org/repo.git"


def test_checkout_clones_the_branch_records_its_commit_and_removes_the_workspace(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    repo = make_repo(tmp_path / "repo")
    sha = commit(repo, {"second.py": "x = 1\n"}, "second")

    assert workspace.remote_head(url=str(repo), branch="main") == sha
    with workspace.checkout(url=str(repo), branch="main") as co:
        path = co.path
        assert co.commit_sha == sha
        assert (path / "second.py").read_text() == "x = 1\n"
    assert not path.exists()


def test_the_workspace_is_removed_when_the_scan_fails(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    repo = make_repo(tmp_path / "repo")
    with pytest.raises(RuntimeError), workspace.checkout(url=str(repo), branch="main") as co:
        path = co.path
        raise RuntimeError("scanner blew up")
    assert not Path(path).exists()


def test_a_missing_branch_is_a_clear_error(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    repo = make_repo(tmp_path / "repo")
    with pytest.raises(RepositoryError, match="Branch 'develop' was not found"):
        workspace.remote_head(url=str(repo), branch="develop")


def test_git_runs_without_hooks_prompts_or_the_callers_configuration():
    repo = workspace.Repository("https", "https://example.com/r.git")
    command = workspace.git_command(repo, "clone")
    assert "core.hooksPath=/dev/null" in command
    assert "protocol.allow=never" in command
    assert "protocol.file.allow=always" not in command
    env = workspace.git_env("/nonexistent-home")
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_CONFIG_GLOBAL"] == "/dev/null"
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env


def test_ssh_uses_the_configured_deploy_key_and_pinned_host_keys(settings):
    settings.SCAN_SSH_KEY_FILE = "/keys/deploy key"
    settings.SCAN_SSH_KNOWN_HOSTS_FILE = "/keys/known_hosts"
    command = workspace.ssh_command()
    assert "BatchMode=yes" in command
    assert "-i '/keys/deploy key'" in command  # quoted: git hands this string to a shell
    assert "StrictHostKeyChecking=yes" in command
    assert "UserKnownHostsFile=/keys/known_hosts" in command
