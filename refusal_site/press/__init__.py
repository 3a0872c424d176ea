"""Journalists: the press page, the count's chart and the PDFs (views), and the press previews of an
embargo that admins give named journalists (preview). Each module adds its routes to views.bp."""

from . import preview, views

__all__ = ["preview", "views"]
