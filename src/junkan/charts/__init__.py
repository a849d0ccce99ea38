"""Charts defined once (Vega-Lite via Altair): the catalog the dashboard, the briefing deck and the HTML report
share. See :mod:`junkan.charts.catalog` and docs/briefing.md."""

from __future__ import annotations

from junkan.charts.catalog import (
    CATALOG,
    PAGES,
    ChartDef,
    ChartParams,
    ChartResult,
    ChartUnavailable,
    render,
    to_png,
    to_svg,
)

__all__ = ["CATALOG", "PAGES", "ChartDef", "ChartParams", "ChartResult", "ChartUnavailable", "render", "to_png", "to_svg"]
