"""The worker's memory of a kept checkout's files, kept on disk beside the checkout.

A worker remembers what it read from each file of its last checkouts (`file_memo`: the
inventory's facts, the checks' counts, each analyzer's parsed output), so a re-scan of a kept
checkout reads again only what git rewrote. That memory lives in one process: a project re-scanned
by another process of the host's pool, or by a worker that scanned many other projects since,
read every file again (Django's tree, one changed file: 2.4-2.6 s instead of 1.2 s). So after its
analyzers ran, a re-scan writes that memory for its checkout into the kept folder
(`Checkout.memo_file`, beside the clone, private to the worker's user), and a process that has
none for the checkout reads it back before the next run. A file's identity includes its change
time, which no program can set, so an entry is used only for a file git did not rewrite since.

The file is a pickle, read only when its HMAC (keyed by auditor's SECRET_KEY, which analyzers
never see) is right, and then by an unpickler that builds only the few plain data classes memos
hold: the analyzers run as the worker's user and could write in that folder. It is also keyed by
auditor's analyzer code and the Python version: after an upgrade it is ignored and rewritten.
Anything wrong with it (missing, damaged, from other code) only means the files are read again.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import hmac
import io
import logging
import os
import pickle
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any

from django.utils.crypto import salted_hmac

from rescans import incremental, inventory
from rescans.file_memo import CheckoutMemo
from rescans.incremental_scanners import INCREMENTAL, _parsed_memo
from rescans.scanners import checks

logger = logging.getLogger(__name__)

MAGIC = b"auditor-kept-memos-1\n"
SALT = "rescans.kept_memos"
DIGEST_BYTES = hashlib.sha256().digest_size
# A larger file is neither written nor read (Django's tree: 5.8 MB of pickle, 0.8 MB stored).
MAX_BYTES = 256 * 1024 * 1024
HERE = Path(__file__).resolve().parent
# The classes a memo holds (module, name): the unpickler builds these and nothing else.
ALLOWED_CLASSES = frozenset(
    {
        ("findings.importers.base", "ParsedScan"),
        ("findings.importers.base", "ScanFinding"),
        ("rescans.incremental_scanners", "_BanditPart"),
        ("rescans.incremental_scanners", "_LizardPart"),
        ("rescans.inventory", "_FileFacts"),
        ("rescans.scanners.base", "ScannerOutput"),
    }
)


def memos() -> dict[str, CheckoutMemo[Any]]:
    """Every memo kept per checkout, by a stable name."""
    return {
        "inventory": inventory._MEMO,
        "checks": checks._MEMO,
        **{f"parsed:{name}": _parsed_memo(name) for name in sorted(INCREMENTAL)},
    }


@functools.lru_cache(maxsize=1)
def code_key() -> bytes:
    """What the memos' layout and meaning depend on: the analyzers' code and versions (as for
    the incremental state), the classes memos hold, this module, and the Python version."""
    digest = hashlib.sha256(incremental._code_key().encode())
    importer = HERE.parent / "findings" / "importers" / "base.py"
    for path in (HERE / "file_memo.py", HERE / "kept_memos.py", importer):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(sys.version.encode())
    return digest.digest()


def _signature(payload: bytes) -> bytes:
    return salted_hmac(SALT, payload, algorithm="sha256").digest()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_CLASSES:
            raise pickle.UnpicklingError(f"{module}.{name} is not a class a memo holds")
        return super().find_class(module, name)


def save(root: Path, file: Path) -> bool:
    """Write this process's memory of the checkout at `root` to `file` (atomically: a reader sees
    the old file or the new one). True when written."""
    kept = {name: files for name, memo in memos().items() if (files := memo.snapshot(root))}
    if not kept:
        return False
    payload = code_key() + zlib.compress(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL), 1)
    if len(payload) > MAX_BYTES:
        return False
    fd, temporary = tempfile.mkstemp(prefix=".memo-", dir=file.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + _signature(payload) + payload)
        os.replace(temporary, file)
    except OSError:
        logger.exception("re-scan: the memory of the checkout's files could not be kept")
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def load(root: Path, file: Path) -> bool:
    """Read the memory of the checkout at `root` back from `file`, for the memos this process
    has none of for it. True when read; False when there is none to read or it cannot be
    trusted (the files are then read again)."""
    if inventory._MEMO.snapshot(root):
        return False  # this process remembers the checkout itself (every run walks it)
    every = memos()
    try:
        with open(file, "rb") as source:
            data = source.read(MAX_BYTES + len(MAGIC) + DIGEST_BYTES + 1)
    except FileNotFoundError:
        return False
    except OSError:
        logger.warning("re-scan: the kept memory of the checkout's files cannot be read")
        return False
    kept = _trusted(data)
    if kept is None:
        return False
    for name, files in kept.items():
        if name in every and isinstance(files, dict):
            every[name].adopt(root, files)
    return True


def _trusted(data: bytes) -> dict[str, Any] | None:
    """The memos in `data` if it is a complete file this code wrote with this key."""
    head = len(MAGIC) + DIGEST_BYTES
    if len(data) > MAX_BYTES + head or not data.startswith(MAGIC):
        return _refused("it is not such a file")
    signature, payload = data[len(MAGIC) : head], data[head:]
    if not hmac.compare_digest(signature, _signature(payload)):
        return _refused("its signature is wrong")
    key = code_key()
    if not payload.startswith(key):
        return None  # written by other analyzer code: read the files again, quietly
    # Hundreds of thousands of objects at once: without the cyclic collector looking at the
    # whole heap meanwhile (they form no cycles), 0.05 s instead of up to 0.2 s on Django's tree.
    collecting = gc.isenabled()
    gc.disable()
    try:
        kept = _Unpickler(io.BytesIO(zlib.decompress(payload[len(key) :]))).load()
    except (pickle.UnpicklingError, zlib.error, EOFError, ValueError, TypeError, AttributeError) as exc:
        return _refused(f"it does not read back ({type(exc).__name__})")
    finally:
        if collecting:
            gc.enable()
    return kept if isinstance(kept, dict) else _refused("it holds no memo")


def _refused(why: str) -> dict[str, Any] | None:
    """None, after saying why the file is not read."""
    logger.warning("re-scan: the kept memory of the checkout's files was ignored: %s", why)
    return None


def save_in_background(root: Path, file: Path | None, *, full: bool) -> threading.Thread | None:
    """`save` on a thread (it overlaps the import of the findings); join it before the
    checkout's lock is released. None when the checkout is not kept, or when the run was
    incremental and a memory is kept already: only a full run, which read every file, writes it
    again (an incremental run changes the memory of a few files; the kept one is then wrong for
    those only, which the next process to read it back reads again). Writing costs about 0.1 s
    of CPU on Django's tree, a tenth of an incremental run."""
    if file is None or (not full and file.exists()):
        return None

    def keep() -> None:
        try:
            save(root, file)
        except Exception:  # noqa: BLE001 - the memory is an optimisation: the run goes on
            logger.exception("re-scan: the memory of the checkout's files could not be kept")

    thread = threading.Thread(target=keep, name="kept-memos", daemon=True)
    thread.start()
    return thread
