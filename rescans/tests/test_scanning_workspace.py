"""Repository URLs, branches and the temporary checkout of a re-scan."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

from rescans import workspace
from rescans.tests.scanrepo import commit, git, make_repo
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


# --- nothing of the checkout reaches outside it --------------------------------------------------


def walk_links(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        found += [os.path.join(folder, n) for n in dirs + files if os.path.islink(os.path.join(folder, n))]
    return found


def test_every_symbolic_link_is_removed_before_analysis_and_the_run_says_which(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "web.env").write_text("SECRET_KEY=not-for-the-repository\n")
    repo = make_repo(tmp_path / "repo")
    (repo / "pkg").mkdir()
    (repo / "leak.py").symlink_to("/etc/passwd")
    (repo / "pkg" / "settings.py").symlink_to("../../outside/web.env")
    (repo / "pkg" / "root").symlink_to("/")
    (repo / "pkg" / "up").symlink_to("..")  # a loop within the repository
    (repo / "docs.md").symlink_to("README.md")
    (repo / "dangling").symlink_to("nowhere/at/all")
    commit(repo, {"pkg/mod.py": "x = 1\n"}, "links")

    with workspace.checkout(url=str(repo), branch="main") as co:
        assert walk_links(co.path) == []
        assert (co.path / "pkg" / "mod.py").read_text() == "x = 1\n"
        assert (co.path / "README.md").is_file()
        removed = {(link.path, link.target, link.leaves) for link in co.removed_links}
        note = co.links_note
    assert removed == {
        ("leak.py", "/etc/passwd", True),
        ("pkg/settings.py", "../../outside/web.env", True),
        ("pkg/root", "/", True),
        ("pkg/up", "..", False),
        ("docs.md", "README.md", False),
        ("dangling", "nowhere/at/all", False),
    }
    assert note == (
        "3 symbolic links leaving the repository were removed before analysis: leak.py -> /etc/passwd, "
        "pkg/root -> /, pkg/settings.py -> ../../outside/web.env. 3 symbolic links within the "
        "repository were removed too (the files they point to are analysed as themselves)."
    )


def test_a_checkout_without_links_has_nothing_to_say(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    with workspace.checkout(url=str(make_repo(tmp_path / "repo")), branch="main") as co:
        assert co.removed_links == [] and co.links_note == ""


def test_submodules_are_not_fetched(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    inner = make_repo(tmp_path / "inner", {"secret.txt": "inner content\n"})
    repo = make_repo(tmp_path / "repo")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "vendored")
    git(repo, "commit", "-q", "-m", "submodule")
    with workspace.checkout(url=str(repo), branch="main") as co:
        assert (co.path / ".gitmodules").is_file()
        assert not (co.path / "vendored" / "secret.txt").exists()


@pytest.mark.parametrize(
    "url",
    [
        "ssh://-oProxyCommand=touch%20x@github.com/org/repo",
        "-oProxyCommand=x@github.com:org/repo",
        "https://github.com/-oProxyCommand=x/repo",
        "https://--upload-pack=x@github.com/org/repo",
        "git@github.com:-u/repo",
    ],
)
def test_urls_with_a_part_that_looks_like_an_option_are_refused(url):
    with pytest.raises(RepositoryError, match="must not (contain options|start with)"):
        workspace.validate_repository_url(url)


def test_a_branch_that_looks_like_an_option_is_refused_with_the_reason():
    with pytest.raises(RepositoryError, match="starts with '-'"):
        workspace.validate_branch("--upload-pack=touch x")


def test_an_ssh_url_cannot_carry_a_password():
    with pytest.raises(RepositoryError, match="cannot carry a password"):
        workspace.validate_repository_url("ssh://git:hunter2@github.com/org/repo")  # pragma: allowlist secret


def test_the_host_allowlist_limits_where_re_scans_clone_from(tmp_path, settings):
    settings.SCAN_ALLOWED_HOSTS = ["github.com", ".corp.example"]
    for url in (
        "https://github.com/org/repo",
        "git@github.com:org/repo.git",
        "ssh://git@GitHub.com:22/org/repo",
        "https://git.corp.example/team/repo",
        "https://corp.example/team/repo",
    ):
        workspace.validate_repository_url(url)
    for url in (
        "https://evil.example/org/repo",
        "git@evil.example:org/repo",
        "https://github.com.evil.example/r",
    ):
        with pytest.raises(RepositoryError, match="SCAN_ALLOWED_HOSTS"):
            workspace.validate_repository_url(url)
    settings.SCAN_ALLOWED_HOSTS = []
    workspace.validate_repository_url("https://evil.example/org/repo")


def test_credentials_go_to_git_as_a_header_for_their_host_only_never_on_its_command_line(tmp_path):
    token = "tok" + "en-1234567890"
    repo, auth = workspace._repository(f"https://bot:{token}@git.example.com/org/repo.git", "")
    assert repo.url == "https://git.example.com/org/repo.git"
    command = workspace.git_command(repo, "clone", "--", repo.url, "x")
    assert token not in " ".join(command)
    env = workspace.git_env(str(tmp_path), auth)
    assert token not in env["GIT_CONFIG_VALUE_0"]  # base64 of "bot:token"

    def header_for(url: str) -> str:
        return subprocess.run(
            ["git", "config", "--get-urlmatch", "http.extraHeader", url],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout.strip()

    expected = "Authorization: Basic " + base64.b64encode(f"bot:{token}".encode()).decode()
    assert header_for("https://git.example.com/org/repo.git") == expected
    assert header_for("https://other.example.com/org/repo.git") == ""


def test_stored_credentials_are_used_only_for_the_host_they_were_given_for():
    repo, auth = workspace._repository(
        "https://git.example.com/org/repo", "https://bot:t0ken@git.example.com"
    )
    assert auth is not None and auth.origin == "https://git.example.com"
    _repo, auth = workspace._repository("https://evil.example/org/repo", "https://bot:t0ken@git.example.com")
    assert auth is None
