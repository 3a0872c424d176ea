"""What the press engine's tests share: one database backend, and time enough for a worker's build."""

import pytest


@pytest.fixture(params=["sqlite"])
def backend(request):
    """Compilations read the same query as the public pages (tested on both backends); one is enough here."""
    return request.param


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PDF_BUILD_SECONDS": 120}
