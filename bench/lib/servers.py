"""Servers for a run on loopback: gunicorn on the benchmark's app, wrk against it, and the
production front, deploy/nginx/, run by Debian's nginx on a loopback port, no root needed.

nginx's rules are deploy/nginx/http.conf and deploy/nginx/site.conf as they ship; only what
deploy/nginx.conf says about the machine (ports, TLS, the checkout's path, where gunicorn is) is
written anew here, with nginx's pid, logs and temporary files in a temporary folder.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.lib.app import FACTORY, STATIC_PATH
from bench.lib.databases import Database

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")
# Every client of a run shares 127.0.0.1: the rate limits a script raises are raised to this.
HIGH_LIMIT = "1000000 per minute"


# --- gunicorn and wrk ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    log_path: Path
    pid: int = 0  # gunicorn's master process; its children are the workers

    def log_problems(self) -> list[str]:
        """gunicorn's error lines so far (worker timeouts, crashes, tracebacks logged by the app)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if re.search(r"\[(ERROR|CRITICAL)\]|Traceback", line)]


@contextmanager
def gunicorn(database: Database, workdir: Path, workers: int, config: Path | None) -> Iterator[Server]:
    """Serve `database` with gunicorn on a free loopback port; yield it; stop it (SIGTERM) on exit.

    gunicorn runs in the temporary folder, so it reads no gunicorn.conf.py unless `config` is given
    (the command-line settings here, bind and workers among them, still win over the file's).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, BENCH_DATABASE_URL=database.url, BENCH_INSTANCE_PATH=database.instance_path)
    log_path = workdir / f"gunicorn-{port}.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--graceful-timeout", "10",
        *(["--config", str(config.resolve())] if config else []),
        FACTORY,
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(base + STATIC_PATH, process, log_path)
        yield Server(base, log_path, process.pid)
    finally:
        stop(process, timeout=30)


def stop(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM (a fast stop for gunicorn and nginx alike), then SIGKILL if it is not gone in `timeout` s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s:\n{log_path.read_text()}")


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class WrkResult:
    rps: float
    requests: int
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    output: str

    @property
    def problems(self) -> str:
        errors = sum(self.socket_errors.values())
        notes = []
        if self.non_2xx_3xx:
            notes.append(f"{self.non_2xx_3xx} non-2xx/3xx responses")
        # A handful of read errors can come from connections closed as the run ends; more is a problem.
        if errors > max(2, self.requests // 1000):
            notes.append("socket errors " + ", ".join(f"{k} {v}" for k, v in self.socket_errors.items() if v))
        return "; ".join(notes)


def run_wrk(wrk: str, url: str, seconds: int, connections: int) -> WrkResult:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    out = result.stdout + result.stderr
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if result.returncode != 0 or rps is None:
        raise RuntimeError(f"{shlex.join(command)} failed ({result.returncode}):\n{out}")
    requests = re.search(r"(\d+) requests in", out)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()))) if sockets else {}
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(requests.group(1)) if requests else 0,
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=socket_errors,
        output=out,
    )


# --- nginx in front ------------------------------------------------------------------------------

CONFIG = """\
daemon off;
{user}
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 2048;
}}

http {{
    include {mime_types};
    default_type application/octet-stream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    include {deploy}/nginx/http.conf;

    upstream refusal_site {{
        server {upstream};
    }}

    server {{
        listen 127.0.0.1:{port};
        root {root}/refusal_site;
        include {deploy}/nginx/site.conf;
    }}
}}
"""


@dataclass
class Front:
    base: str
    prefix: Path
    pid: int  # the master process; its children are the workers

    def error_log(self) -> str:
        return (self.prefix / "error.log").read_text(errors="replace")


def config(prefix: Path, port: int, upstream: str) -> str:
    """The suite's nginx.conf: deploy/nginx/'s rules behind a loopback port, files under `prefix`."""
    # Started as root, nginx's master drops its workers to a user, as in production (Debian's
    # www-data there). Here it is the checkout's owner: the workers must read the static files,
    # and a checkout may lie where www-data cannot enter (a clone under /root, say).
    user = f"user {_owner(ROOT / 'refusal_site' / 'static')};" if os.geteuid() == 0 else ""
    return CONFIG.format(
        user=user, prefix=prefix, mime_types=MIME_TYPES, deploy=DEPLOY, upstream=upstream, port=port, root=ROOT
    )


def _owner(path: Path) -> str:
    """The user and group that own `path`, as nginx's `user` directive names them."""
    stat = path.stat()
    return f"{pwd.getpwuid(stat.st_uid).pw_name} {grp.getgrgid(stat.st_gid).gr_name}"


@contextmanager
def nginx(upstream: str, port: int | None = None) -> Iterator[Front]:
    """Run nginx in front of `upstream` (host:port) on a free loopback port; stop it on exit.

    Its folder is a new one in the system's temporary folder (the workers, a user of their own
    when started as root, must be able to enter it) and is removed afterwards.
    """
    prefix = Path(tempfile.mkdtemp(prefix="refusal-nginx-"))
    os.chmod(prefix, 0o755)
    port = port or free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(config(prefix, port, upstream))
    with open(prefix / "stderr.log", "wb") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_port(port, process, prefix)
        yield Front(f"http://127.0.0.1:{port}", prefix, process.pid)
    finally:
        stop(process, timeout=20)  # SIGTERM: SIGQUIT would wait for every slow client to go
        shutil.rmtree(prefix, ignore_errors=True)


def wait_for_port(port: int, process: subprocess.Popen, prefix: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{_logs(prefix)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port} within {timeout:.0f} s:\n{_logs(prefix)}")


def _logs(prefix: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in (prefix / "stderr.log", prefix / "error.log") if p.exists())
