"""The production front, deploy/nginx/, run by Debian's nginx on a loopback port, no root needed.

The server's rules are deploy/nginx/http.conf and deploy/nginx/site.conf as they ship; only what
deploy/nginx.conf says about the machine (ports, TLS, the checkout's path, where gunicorn is) is
written anew here, with nginx's pid, logs and temporary files in a temporary folder.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")

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
        # SIGTERM: a fast stop (SIGQUIT would wait for every slow client to go).
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(prefix, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
