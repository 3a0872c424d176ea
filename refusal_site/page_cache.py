"""Rendered public pages, reused until anything public changes.

Keyed by the tally's revision, which every publication, withdrawal and edit bumps in the
same transaction: every worker sees the new revision on its next request and renders anew,
so a change shows on the very next request with no invalidation to get wrong.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from flask import Response, current_app, g, request

from . import letters
from .i18n import current_language


class PageCache:
    def __init__(self) -> None:
        self._pages: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: tuple[bytes, str], capacity: int) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > capacity:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def page_cache() -> PageCache:
    """This application's cache (one per app, so two apps in one process never share pages)."""
    return current_app.extensions.setdefault("refusal_page_cache", PageCache())


def cached_response(name: str, render: Callable[[], str | bytes], mimetype: str = "text/html", *, keep: bool = True, **params) -> Response:
    """Serve a public representation, rendering it only when the public revision has changed.

    A request reads only the revision (one raw read); `render` reads what it shows, the tally
    included (letters.public_state()), only when the page is not cached for this revision.
    `params` are everything the page depends on besides the language; `keep=False` for a page that
    anyone can name in endless ways (a search): it is rendered each time, so it never pushes the
    pages every reader asks for out of the cache, and is still answered 304 when unchanged."""
    key = (current_app.config["BUILD_ID"], letters.public_revision(), current_language(), name, mimetype, *sorted(params.items()))
    # Deterministic across workers (unlike hash()), so any worker can answer 304.
    etag = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    # "If-None-Match: *" is ignored: it would answer 304 for pages that do not even exist.
    if not request.if_none_match.star_tag and etag in request.if_none_match:
        response = Response(status=304)
    else:
        cache = page_cache()
        page = cache.get(key) if keep else None
        if page is None:
            # Shared by every visitor: the render must not read anyone's session (e.g. flashes).
            g.shared_page = True
            body = render()
            page = (body.encode() if isinstance(body, str) else body, mimetype)
            if keep:
                cache.put(key, page, current_app.config["PAGE_CACHE_SIZE"])
        response = Response(page[0], mimetype=page[1])
    response.set_etag(etag)
    # Browsers and proxies may keep a copy but must ask every time, so a change shows at once.
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    return response
