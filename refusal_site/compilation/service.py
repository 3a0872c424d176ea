"""The builder service (`flask build-pdf --watch`): one process a machine that builds the standard
compilations again whenever what is public changes, so journalists find them ready.

It says it is alive with a heartbeat file it holds locked: while it does, downloads of a standard
compilation start no build of their own; when it dies (even killed outright) the system lets go
of the lock, and downloads build for themselves again."""

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta

from flask import current_app

from .. import letters
from ..extensions import db
from ..models import utcnow
from . import assembly, cache, cleanup, limits
from .assembly import Compilation
from .selection import Selection, standard_jobs, standard_keys

log = logging.getLogger(__name__)

# The service stands back for the web workers on the same machine: a publication's rebuild may take
# a little longer, readers' pages must not.
WATCH_NICENESS = 19
# A service silent for this long is taken to be stuck: downloads build for themselves again.
HEARTBEAT_SECONDS = 60

Built = list[tuple[Selection, str, Compilation]]


class ServiceRunning(RuntimeError):
    """A builder service keeps this instance folder's compilations built already."""


def keeps_built(key: str) -> bool:
    """Whether a live builder service on this machine keeps the compilation `key` built (it builds
    it in its next round, if it has not already)."""
    return key in standard_keys() and _alive()


def _alive() -> bool:
    """Whether a builder service on this machine is running (it holds the heartbeat file's lock) and
    has said it is alive within HEARTBEAT_SECONDS (it is not stuck)."""
    path = cache.service_path()
    try:
        if utcnow().timestamp() - path.stat().st_mtime >= HEARTBEAT_SECONDS:
            return False
        with open(path, "rb") as presence:
            fcntl.flock(presence, fcntl.LOCK_SH | fcntl.LOCK_NB)  # taken: no service holds it
    except BlockingIOError:
        return True
    except FileNotFoundError:
        pass
    return False


@contextlib.contextmanager
def _presence():
    """Say, for as long as the block runs, that a builder service keeps the standard compilations of
    this instance folder built: an exclusive lock on its heartbeat file."""
    path = cache.service_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as presence:
        try:
            fcntl.flock(presence, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServiceRunning(f"another builder service keeps the compilations in {cache.folder()} built") from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def _heartbeat() -> None:
    path = cache.service_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def become_builder_service() -> None:
    """Give this process what a builder service runs with: the memory limit of every background
    build, and a lower CPU priority than the web workers beside it."""
    limits.limit_memory(current_app.config["PDF_BUILD_MEMORY_BYTES"])
    os.nice(WATCH_NICENESS)


def keep_built(stop: threading.Event, report: Callable[[Built], None] = lambda _: None) -> None:
    """Build the standard compilations again whenever what is public changes (a publication,
    withdrawal, correction or unpublishing), until `stop` is set.

    Changes that come while a round is building are built together in the next round. Each build
    takes one of the machine's PDF_MAX_BUILDS slots and, in the main thread, has PDF_BUILD_SECONDS.
    A failed round (the database down, a render out of time or memory) is logged, marks the
    compilation it was building as failed (as a download's build does), and is tried again
    PDF_RETRY_AFTER_FAILURE seconds later; the service keeps running. One service an instance
    folder: a second one raises ServiceRunning."""
    timed = threading.current_thread() is threading.main_thread()  # alarms work in the main thread only
    with _presence():
        _keep_built(stop, report, timed)


def _keep_built(stop: threading.Event, report: Callable[[Built], None], timed: bool) -> None:
    seen, pruned, key = None, 0.0, None
    forgetting = cleanup.Forgetting()
    while not stop.is_set():
        wait = current_app.config["PDF_WATCH_SECONDS"]
        try:
            _heartbeat()
            if removed := forgetting.sweep():
                log.info("build-pdf --watch: deleted %d cached files of letters no longer public", removed)
                seen = None  # what it deleted may have been built a moment ago, after the decision
            revision = letters.public_revision()
            if revision != seen:
                built = []
                for selection, language in standard_jobs():
                    key = selection.key(language)
                    with limits.slot(), limits.time_limit(current_app.config["PDF_BUILD_SECONDS"] if timed else None):
                        _heartbeat()
                        built.append((selection, language, assembly.build(selection, language)))
                    key = None
                report(built)
                seen = revision
            if utcnow().timestamp() - pruned > 3600:
                cleanup.prune(timedelta(days=current_app.config["PDF_KEEP_DAYS"]))
                pruned = utcnow().timestamp()
        except Exception:
            wait = current_app.config["PDF_RETRY_AFTER_FAILURE"]
            log.exception("build-pdf --watch: this round failed (at %s); trying again in %s s", key, wait)
            if key is not None:
                limits.mark_failed(key)
            key = None
        finally:
            db.session.remove()
        stop.wait(wait)
