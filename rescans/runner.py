"""Run one external command safely: argument list, no shell, a timeout, capped output, and
operating-system limits on memory, CPU time and file size (`ResourceLimits`)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

STDERR_TAIL_CHARS = 2000
CPU_HARD_GRACE_S = 5  # SIGXCPU at the soft limit first, SIGKILL this much later
# What programs print when the address-space limit refuses them memory (Python, Rust, libc, ld.so).
MEMORY_MARKERS = (
    b"MemoryError",
    b"memory allocation of",
    b"Cannot allocate memory",
    b"failed to map segment",
)

# Sets the limits, then replaces itself with the command: the limits apply from its first
# instruction. A separate interpreter instead of `preexec_fn`, which is unsafe while other
# threads run (scanners run in a thread pool). -I -S: no site-packages, no environment hooks.
_LIMITS_LAUNCHER = """
import os, resource, signal, sys
def cap(name, soft, hard):
    kind = getattr(resource, name)
    current = resource.getrlimit(kind)[1]
    if current != resource.RLIM_INFINITY:
        hard = min(hard, current)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))
cap("RLIMIT_CORE", 0, 0)
for name, soft, hard in (("RLIMIT_AS", 1, 1), ("RLIMIT_CPU", 2, 3), ("RLIMIT_FSIZE", 4, 4)):
    if sys.argv[soft] != "-":
        cap(name, int(sys.argv[soft]), int(sys.argv[hard]))
if int(sys.argv[5]) > 0:
    os.nice(int(sys.argv[5]))
# This interpreter ignores these signals; an ignored signal would stay ignored after exec.
for name in ("SIGPIPE", "SIGXFSZ"):
    signal.signal(getattr(signal, name), signal.SIG_DFL)
os.execvp(sys.argv[7], sys.argv[7:])
"""


@dataclass(frozen=True)
class ResourceLimits:
    """Per-process operating-system limits (None = not limited)."""

    memory_bytes: int | None = None  # RLIMIT_AS: address space
    cpu_seconds: int | None = None  # RLIMIT_CPU
    file_bytes: int | None = None  # RLIMIT_FSIZE: largest file the process may write
    niceness: int = 0  # added to the process's nice value: a lower CPU priority

    def launcher(self, args: list[str]) -> list[str]:
        def arg(value: int | None) -> str:
            return "-" if value is None else str(int(value))

        cpu_hard = None if self.cpu_seconds is None else self.cpu_seconds + CPU_HARD_GRACE_S
        return [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _LIMITS_LAUNCHER,
            arg(self.memory_bytes),
            arg(self.cpu_seconds),
            arg(cpu_hard),
            arg(self.file_bytes),
            str(max(0, int(self.niceness))),
            "--",
            *args,
        ]


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
    limit_hit: str = ""  # "CPU time" or "file size" when the system limit stopped the command

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
    limits: ResourceLimits | None = None,
) -> CommandResult:
    """Run `args` (a list, never a shell string) in `cwd`.

    Output goes to temporary files that are watched while the command runs: the whole process
    group is killed when it runs longer than `timeout_s` or writes more than `max_output_bytes`.
    With `limits`, the command runs under those system limits; its file-size limit is at least
    the output cap, so that output beyond the cap also stops it at once (SIGXFSZ).
    """
    if isinstance(args, str):
        raise TypeError("run_command takes an argument list, never a shell string")
    argv = list(args)
    if limits is not None:
        file_bytes = max(limits.file_bytes or 0, max_output_bytes + 1)
        argv = dataclasses.replace(limits, file_bytes=file_bytes).launcher(argv)
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv,
            cwd=str(cwd),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env if env is not None else safe_env(tempfile.gettempdir()),
            start_new_session=True,
        )
        timed_out = too_large = False
        delay = 0.005
        with exit_waiter(proc.pid) as wait_exit:
            while proc.poll() is None:
                if time.monotonic() - started > timeout_s:
                    timed_out = True
                elif os.fstat(out.fileno()).st_size + os.fstat(err.fileno()).st_size > max_output_bytes:
                    too_large = True
                if timed_out or too_large:
                    _kill_group(proc)
                    break
                wait_exit(delay)
                delay = min(delay * 2, 0.05)
        proc.wait()
        out.seek(0)
        err.seek(0)
        stdout = out.read(max_output_bytes + 1)
        stderr_size = os.fstat(err.fileno()).st_size
        err.seek(max(0, stderr_size - 64 * 1024))
        stderr = err.read()
    if len(stdout) > max_output_bytes or stderr_size > max_output_bytes:
        too_large = True
    limit_hit = ""
    if limits is not None and not (timed_out or too_large) and proc.returncode:
        limit_hit = _limit_hit(proc.returncode, stderr)
    return CommandResult(
        args=list(args),
        returncode=None if (timed_out or too_large or limit_hit) else proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        output_too_large=too_large,
        limit_hit=limit_hit,
    )


@contextlib.contextmanager
def exit_waiter(pid: int) -> Iterator[Callable[[float], object]]:
    """A function that waits up to its argument (seconds) and returns as soon as the process
    `pid` (a child not yet waited for, so its number is not reused) ends. On Linux it watches
    the process's descriptor (pidfd): a command is seen to end when it ends, instead of at the
    next look, up to 50 ms later (a re-scan runs a dozen short git commands one after the other).
    Elsewhere it sleeps for the whole delay."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3
        yield time.sleep
        return
    try:
        yield lambda delay: select.select([fd], [], [], delay)
    finally:
        os.close(fd)


def _limit_hit(returncode: int, stderr: bytes) -> str:
    """Which system limit stopped a command, told by its signal or, for programs that catch
    the failure themselves (Python raises MemoryError or "File too large"), by its last words."""
    tail = stderr[-4096:]
    if returncode == -signal.SIGXCPU:
        return "CPU time"
    if returncode == -signal.SIGXFSZ or b"File too large" in tail:
        return "file size"
    if any(marker in tail for marker in MEMORY_MARKERS):
        return "memory"
    return ""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
