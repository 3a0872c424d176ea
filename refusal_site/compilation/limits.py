"""What bounds PDF work on a machine: a lock per PDF (one process makes it, the others wait or are
told it is being made), PDF_MAX_BUILDS build slots, and each build's time and memory.

Locks and slots are flock()s on files in the cache's locks/ folder: the system lets go of them
when the process that holds them ends, however it ends, so no crash leaves a PDF locked."""

import contextlib
import fcntl
import io
import resource
import signal
from pathlib import Path
from time import sleep

from flask import current_app

from ..models import Letter, utcnow
from . import cache


class Busy(Exception):
    """Every build slot of this machine is taken: no build can start now."""


class BeingRendered(Exception):
    """Another process renders this PDF right now."""


# The locks this process holds already, by key: handed to it by the request that started it
# (worker.start), so that its build does not wait for a lock it holds itself; and its slot, kept
# open with them until the process ends.
held: dict[str, io.TextIOWrapper] = {}


def try_lock(path: Path) -> io.TextIOWrapper | None:
    """`path` opened and locked (closing the file lets go), or None if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(path, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


@contextlib.contextmanager
def locked(key: str):
    """Hold the lock of `key`: a second maker waits here, then finds the work done."""
    if key in held:
        yield
        return
    path = cache.lock_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def is_locked(key: str) -> bool:
    """Whether some process holds the lock of `key` right now (makes that PDF)."""
    if not cache.lock_path(key).exists():
        return False
    lock = try_lock(cache.lock_path(key))
    if lock is None:
        return True
    lock.close()
    return False


def take_slot() -> io.TextIOWrapper | None:
    """One of the PDF_MAX_BUILDS slots, locked (the open file: closing it lets go), if one is free now."""
    return next((lock for path in cache.slot_paths() if (lock := try_lock(path)) is not None), None)


@contextlib.contextmanager
def slot():
    """Hold one of the PDF_MAX_BUILDS slots, waiting for one if all are taken: many different date
    ranges asked at once must not start as many renders."""
    while (lock := take_slot()) is None:
        sleep(0.5)
    with lock:
        yield


@contextlib.contextmanager
def lock_and_slot(key: str):
    """The lock of `key` and a slot, taken without waiting for either: BeingRendered if another
    process holds the lock, Busy if every slot is taken. Yields both open files."""
    key_lock = try_lock(cache.lock_path(key))
    if key_lock is None:
        raise BeingRendered(key)
    with key_lock:
        taken = take_slot()
        if taken is None:
            raise Busy()
        with taken:
            yield key_lock, taken


def renders_inline(letter: Letter) -> bool:
    """Whether a request may render this letter's PDF itself: a long text or a long list of
    co-signers takes seconds, so that is left to a worker process."""
    config = current_app.config
    signers = letter.signatures_published if letter.collective else 0
    return signers <= config["PDF_INLINE_SIGNERS"] and len(letter.body_text) <= config["PDF_INLINE_CHARS"]


def out_of_time(_signal, _frame) -> None:
    raise TimeoutError("the PDF build ran out of time (PDF_BUILD_SECONDS)")


@contextlib.contextmanager
def time_limit(seconds: int | None):
    """Raise TimeoutError in the block after `seconds` (None: no limit; alarms work in the main thread only)."""
    if seconds is None:
        yield
        return
    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def mark_failed(key: str, folder: Path | None = None) -> None:
    """Note that the build of `key` just failed: downloads stop promising it for a while
    (`folder`: the cache folder, for a process that has no app any more)."""
    failure = folder / "failures" / key if folder is not None else cache.build_failure_path(key)
    failure.parent.mkdir(parents=True, exist_ok=True)
    failure.touch()


def failed_recently(key: str, within: float) -> bool:
    """Whether the last build of `key` failed less than `within` seconds ago."""
    try:
        return utcnow().timestamp() - cache.build_failure_path(key).stat().st_mtime < within
    except OSError:
        return False
