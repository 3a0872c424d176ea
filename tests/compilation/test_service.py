"""The builder service (`build-pdf --watch`) and the one-off `build-pdf`."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from refusal_site import letters
from refusal_site.compilation import assembly, cache, limits, selection, service, worker
from refusal_site.extensions import db
from refusal_site.models import Letter, utcnow
from tests.factories import make_letter
from tests.pdfs import bookmarked, publish_mixed, wait_for

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


def test_build_pdf_builds_the_standard_compilations(runner, app):
    publish_mixed(3)
    result = runner.invoke(args=["build-pdf"])
    assert result.exit_code == 0, result.output
    assert "all (he): 3 letters" in result.output and "ar (ar): 1 letters" in result.output
    assert assembly.existing(selection.Selection(), "en") is not None
    # Run again (by cron, say), it finds them built: the same files.
    assert runner.invoke(args=["build-pdf"]).output == result.output


def test_build_pdf_prunes_what_no_build_used_for_days_and_keeps_what_is_current(runner, app, tmp_path):

    made = publish_mixed(3)
    before = assembly.build(selection.Selection(), "he").path
    letters.withdraw(db.session.get(Letter, next(l for l in made if l.language == "en").id))
    cache_dir = tmp_path / "instance" / "pdf"
    week_ago = time.time() - 8 * 86400
    for path in cache_dir.rglob("*.*"):
        os.utime(path, (week_ago, week_ago))  # everything built so far: last used more than a week ago
    result = runner.invoke(args=["build-pdf"])
    assert result.exit_code == 0, result.output
    assert not before.exists(), "the compilation that still held the withdrawn letter is gone"
    current = assembly.existing(selection.Selection(), "he")
    assert current is not None and current.path.exists()
    assert "all (he): 2 letters" in result.output and re.search(r"removed [1-9]\d* cached PDF files", result.output)
    reader = PdfReader(current.path)
    assert [item.title.split(" · ")[0] for item in reader.outline][1:] == [made[0].display_name, made[1].display_name]






def _service_thread(app, stop: threading.Event, rounds: list) -> threading.Thread:
    """`build-pdf --watch`'s loop, started in a thread of this process, until `stop` is set."""

    def run_service() -> None:
        with app.app_context():
            service.keep_built(stop, report=rounds.append)

    thread = threading.Thread(target=run_service)
    thread.start()
    return thread


def test_the_builder_service_builds_again_after_each_public_change(app):
    """`build-pdf --watch`'s loop: a publication and a withdrawal each reach every standard compilation
    without any download asking for it, and the service stops when told."""
    app.config.update(PDF_WATCH_SECONDS=0.05)
    made = publish_mixed(2)
    first, second, first_id = made[0].display_name, made[1].display_name, made[0].id
    db.session.remove()
    stop, rounds = threading.Event(), []

    def current(language: str, holding: list[str]):
        built = assembly.existing(selection.Selection(), language)
        return built if built is not None and bookmarked(built.path) == holding else None

    thread = _service_thread(app, stop, rounds)
    try:
        assert wait_for(lambda: current("ar", [first, second]))
        assert service.keeps_built(selection.Selection().key("ar")), "the service says it keeps it"
        newest = make_letter(language="en", published_at=utcnow()).display_name
        db.session.remove()
        assert wait_for(lambda: current("he", [first, second, newest]))
        letters.withdraw(db.session.get(Letter, first_id))
        db.session.remove()
        assert wait_for(lambda: current("en", [second, newest]))

        def english_edition():  # built in the same round as the others, perhaps after them
            english = assembly.existing(selection.Selection(language="en"), "en")
            return english if english is not None and bookmarked(english.path) == [newest] else None

        assert wait_for(english_edition)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive(), "stopped when asked"
    assert len(rounds) >= 3 and all(len(built) == 6 for built in rounds), "every round builds all six standard compilations"
    assert not service.keeps_built(selection.Selection().key("ar")), "stopped: downloads build again"


def test_the_builder_service_survives_a_failed_round(app, monkeypatch, caplog):
    """A round that fails is logged and tried again later; the service does not die of it."""
    app.config.update(PDF_WATCH_SECONDS=0.05, PDF_RETRY_AFTER_FAILURE=0.1)
    publish_mixed(1)
    db.session.remove()
    calls, real = [], assembly.build

    def fails_once(selection, language):
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("out of memory in a render")
        return real(selection, language)

    monkeypatch.setattr(assembly, "build", fails_once)
    stop, rounds = threading.Event(), []

    thread = _service_thread(app, stop, rounds)
    try:
        assert wait_for(lambda: rounds or None)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert len(calls) >= 7 and "this round failed" in caplog.text and len(rounds[0]) == 6
    # Downloads were told for a while that the compilation it failed on is not coming.
    assert limits.failed_recently(selection.Selection().key("he"), within=60)
    assert assembly.existing(selection.Selection(), "he") is not None




def test_the_builder_service_runs_as_a_process_and_stops_on_sigterm(app, app_config):
    """`flask build-pdf --watch` as production runs it, on the same database and instance folder."""

    first = publish_mixed(1)[0].display_name
    db.session.remove()
    env = {
        **os.environ,
        "REFUSAL_DATABASE_URL": app_config["DATABASE_URL"],
        "REFUSAL_SECRET_KEY": app_config["SECRET_KEY"],
        "REFUSAL_INSTANCE_PATH": app.instance_path,
        "REFUSAL_PDF_WATCH_SECONDS": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "refusal_site", "build-pdf", "--watch"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        built = wait_for(lambda: assembly.existing(selection.Selection(), "he"))
        assert built is not None and bookmarked(built.path) == [first]
        newest = make_letter(language="he", published_at=utcnow()).display_name
        db.session.remove()
        built = wait_for(lambda: assembly.existing(selection.Selection(), "he"))
        assert built is not None and bookmarked(built.path) == [first, newest]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    assert "all (he): 1 letters" in output and "all (he): 2 letters" in output
    assert "private0@mail.example" not in output






def test_while_the_builder_service_runs_downloads_of_its_compilations_start_no_build(client, app, monkeypatch):
    """The service will build a standard compilation in its next round: a download waits for it
    (202) instead of starting a second build in a new process. A date range is not the service's."""

    publish_mixed(2)
    latest = make_letter(language="en", published_at=utcnow())
    today = selection.day(latest.published_at)
    started = []
    monkeypatch.setattr(worker, "_spawn", lambda key, *a: started.append(key))
    with service._presence():
        service._heartbeat()
        assert client.get("/press/letters.pdf?language=he").status_code == 202
        assert client.get("/press/letters.pdf", headers={"Accept-Language": "ar"}).status_code == 202
        assert client.get("/press/letters.pdf?since=2000-01-01").status_code == 202, "all letters: the service's"
        assert started == []
        assert client.get(f"/press/letters.pdf?since={today}").status_code == 202
        assert started == [f"all-{today}_now-he"]
        with pytest.raises(service.ServiceRunning):  # one service an instance folder
            with service._presence():
                pass
        # A service silent for a minute is stuck: downloads build again.
        stale = time.time() - service.HEARTBEAT_SECONDS - 1
        os.utime(cache.service_path(), (stale, stale))
        assert client.get("/press/letters.pdf?language=en").status_code == 202
        assert started == [f"all-{today}_now-he", "en-en"]
        service._heartbeat()
        assert client.get("/press/letters.pdf?language=ar").status_code == 202 and len(started) == 2
    # A heartbeat without the service holding its lock (it stopped) promises nothing.
    service._heartbeat()
    assert client.get("/press/letters.pdf?language=ar").status_code == 202
    assert started == [f"all-{today}_now-he", "en-en", "ar-ar"]


def test_a_builder_service_killed_outright_is_gone_at_once_and_a_second_one_refuses_to_start(client, app, app_config, monkeypatch):
    """The out-of-memory killer leaves no time to clean up: the service's lock goes with its process,
    so downloads start their own builds at once instead of waiting for a round that never comes."""

    publish_mixed(1)
    db.session.remove()
    env = {**os.environ, "REFUSAL_DATABASE_URL": app_config["DATABASE_URL"], "REFUSAL_SECRET_KEY": app_config["SECRET_KEY"],
           "REFUSAL_INSTANCE_PATH": app.instance_path}  # fmt: skip
    command = [sys.executable, "-m", "flask", "--app", "refusal_site", "build-pdf", "--watch"]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: service._alive() or None)
        second = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode != 0 and "another builder service keeps the compilations" in second.stderr, second.stderr
        assert process.poll() is None and service._alive()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert cache.service_path().exists(), "killed outright, it cleaned nothing up"
    assert not service._alive()
    started = []
    monkeypatch.setattr(worker, "_spawn", lambda key, *a: started.append(key))
    monkeypatch.setattr(assembly, "existing", lambda *a, **k: None)  # whatever the service built before it died
    assert client.get("/press/letters.pdf?language=he").status_code == 202 and started == ["he-he"]
