"""The app the benchmarks serve: the real app on a given database, plus a static baseline route."""

from __future__ import annotations

import os

from flask import Flask, Response, send_from_directory

STATIC_PATH = "/_bench/static"
# A file served as Flask serves static files (send_from_directory), from the instance's bench-files/.
FILE_PATH = "/_bench/file/"
# gunicorn's and flask's name for the factory below.
FACTORY = "bench.lib.app:bench_app()"


def _static_view() -> Response:
    return Response(b"ok", mimetype="text/html")


def make_app(database_url: str, instance_path: str, site_url: str = "http://127.0.0.1") -> Flask:
    """The real app on the given database, plus the benchmark's static baseline route."""
    from refusal_site import create_app

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": instance_path, "SITE_URL": site_url})
    app.add_url_rule(STATIC_PATH, "bench_static", _static_view)
    files = os.path.join(instance_path, "bench-files")
    app.add_url_rule(FILE_PATH + "<name>", "bench_file", lambda name: send_from_directory(files, name))
    return app


def bench_app() -> Flask:
    """gunicorn's factory: `gunicorn --chdir <repo> 'bench.lib.app:bench_app()'`."""
    # BENCH_SITE_URL: where the run serves the site, for a judge that follows the pages' absolute links.
    return make_app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_INSTANCE_PATH"], os.environ.get("BENCH_SITE_URL", "http://127.0.0.1"))

