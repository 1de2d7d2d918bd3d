"""Run one external command safely: argument list, no shell, a timeout, capped output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

STDERR_TAIL_CHARS = 2000


def tool_path(name: str) -> str:
    """The absolute path of a tool installed next to this Python (the virtualenv's bin folder)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate)


def safe_env(home: str) -> dict[str, str]:
    """A minimal environment for scanners and git: none of auditor's secrets leak into them."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    return env


@dataclass
class CommandResult:
    args: list[str]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float
    timed_out: bool = False
    output_too_large: bool = False

    @property
    def stderr_tail(self) -> str:
        return self.stderr.decode("utf-8", "replace")[-STDERR_TAIL_CHARS:]


def run_command(
    args: list[str],
    *,
    cwd: str | Path,
    timeout_s: float,
    max_output_bytes: int,
    env: dict[str, str] | None = None,
) -> CommandResult:
    """Run `args` (a list, never a shell string) in `cwd`.

    Output goes to temporary files that are watched while the command runs: the whole process
    group is killed when it runs longer than `timeout_s` or writes more than `max_output_bytes`.
    """
    if isinstance(args, str):
        raise TypeError("run_command takes an argument list, never a shell string")
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            args,
            cwd=str(cwd),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env if env is not None else safe_env(tempfile.gettempdir()),
            start_new_session=True,
        )
        timed_out = too_large = False
        delay = 0.005
        while proc.poll() is None:
            if time.monotonic() - started > timeout_s:
                timed_out = True
            elif os.fstat(out.fileno()).st_size + os.fstat(err.fileno()).st_size > max_output_bytes:
                too_large = True
            if timed_out or too_large:
                _kill_group(proc)
                break
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        proc.wait()
        out.seek(0)
        err.seek(0)
        stdout = out.read(max_output_bytes + 1)
        stderr_size = os.fstat(err.fileno()).st_size
        err.seek(max(0, stderr_size - 64 * 1024))
        stderr = err.read()
    if len(stdout) > max_output_bytes:
        too_large = True
    return CommandResult(
        args=list(args),
        returncode=None if (timed_out or too_large) else proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        output_too_large=too_large,
    )


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
