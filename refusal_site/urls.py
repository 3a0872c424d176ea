"""Absolute links to the site's pages, built from SITE_URL: for mail, PDFs and feeds, with or
without a request (the domain may import this; it reads no request)."""

from urllib.parse import urlsplit

from flask import current_app


def site_url(endpoint: str, **values) -> str:
    """An absolute URL built from the configured SITE_URL, never from the request's Host header
    (and usable with no request at all, e.g. for mail sent after the response)."""
    base = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
