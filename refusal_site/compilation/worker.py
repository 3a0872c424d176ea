"""The worker process a download starts when its PDF is not built: a separate process, with memory
and time limits, so a large render can neither stall nor exhaust the web worker that asked for it.
The only module of the package that builds an app (the worker's own), with the factory the running
app was built by (app.extensions["app_factory"]): the domain imports no factory."""

import io
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing import reduction
from pathlib import Path

from flask import Flask, current_app

from .. import published, translated
from . import assembly, limits, one_letter
from .selection import Selection

log = logging.getLogger(__name__)


def start(key: str, *, selection: Selection | None = None, language: str | None = None, public_id: str | None = None) -> bool:
    """Start a worker that builds the compilation of `selection` in `language` (or the PDF of the
    letter `public_id`, in its public translation into `language` if one is given), unless some process builds it already; return whether one started. Busy,
    starting nothing, if PDF_MAX_BUILDS builds run already.

    The key's lock and a build slot are taken here, before the process starts, and handed to it:
    however many requests come at once, no more processes start than there are slots, and no two
    for one key."""
    multiprocessing.active_children()  # reap workers that finished
    try:
        with limits.lock_and_slot(key) as (key_lock, slot):
            job = ("letter", public_id, language) if public_id is not None else ("compilation", selection, language)
            _spawn(key, job, key_lock, slot)
    except limits.BeingRendered:
        return False
    # Closed here, the locks stay held by the worker, whose copies of the files close when it ends.
    return True


class _HandedLock:
    """A locked file handed to a spawned process, which then holds the lock: the system lets go of it
    when the last process that has the file open ends (multiprocessing passes the descriptor itself,
    as it does for sockets)."""

    def __init__(self, lock: io.TextIOWrapper) -> None:
        self.lock = lock

    def __reduce__(self):
        return _take_handed_lock, (reduction.DupFd(self.lock.fileno()),)


def _take_handed_lock(handed) -> io.TextIOWrapper:
    return open(handed.detach(), "w")


def _spawn(key: str, job: tuple, key_lock: io.TextIOWrapper, slot: io.TextIOWrapper) -> None:
    """Start the process that does `job`, handing it the key's lock and the slot."""
    config = {name: value for name, value in current_app.config.items() if name.isupper()}
    config["INSTANCE_PATH"] = current_app.instance_path
    factory = current_app.extensions["app_factory"]
    process = multiprocessing.get_context("spawn").Process(
        target=_run, args=(factory, config, key, job, _HandedLock(key_lock), _HandedLock(slot)), name=f"pdf-{key}", daemon=False
    )
    process.start()


def _run(factory: Callable[[dict], Flask], config: dict, key: str, job: tuple, key_lock: io.TextIOWrapper, slot: io.TextIOWrapper) -> None:
    """The worker's life. It holds the key's lock and the slot it was handed until it is gone (the
    system lets go of them with its last open file), and once its PDF is written it ends at once: an
    interpreter's orderly exit takes seconds, during which the slot would be free to start another
    build beside it."""
    signal.signal(signal.SIGALRM, limits.out_of_time)
    signal.alarm(config["PDF_BUILD_SECONDS"])
    limits.limit_memory(config["PDF_BUILD_MEMORY_BYTES"])
    limits.held[key] = key_lock
    limits.held[f"{key} slot"] = slot
    try:
        app = factory(config)
        with app.app_context():
            if job[0] == "letter":
                letter = published.published_letter(job[1])
                translation = translated.translation_of(letter, job[2]) if letter is not None and job[2] else None
                if letter is not None and (job[2] is None or translation is not None):
                    one_letter.pdf(letter, translation)
            else:
                assembly.build(job[1], job[2])
    except BaseException:
        log.exception("building the PDF %s failed", key)
        # Downloads stop promising this PDF for a while instead of waiting for it forever.
        limits.mark_failed(key, Path(config["INSTANCE_PATH"]) / "pdf")
        raise
    logging.shutdown()
    os._exit(0)
