"""The single-file HTML report: parse it and check charts (inline SVG), takeaways, tables, notes, manifest."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from junkan.charts import CATALOG, ChartParams
from junkan.engine import Engine
from junkan.reports.brief import build_briefing
from junkan.reports.html import write_html
from tests.charts.world import engine

CHARTS = ["intl_coauthorship_trend", "domestic_international_top10", "cohort_phases"]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.svgs = 0
        self.external: list[str] = []
        self.takeaways: list[str] = []
        self._in_takeaway = False
        self.manifest = ""
        self._in_manifest = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-chart"):
            self.sections.append(a["data-chart"] or "")
        if tag == "svg":
            self.svgs += 1
        if tag in ("script", "link", "img") and (a.get("src") or a.get("href", "")).startswith("http"):
            self.external.append(tag)
        if tag == "script":
            self.external.append("script")
        self._in_takeaway = tag == "p" and a.get("class") == "takeaway"
        self._in_manifest = tag == "pre" and a.get("id") == "manifest-json"

    def handle_data(self, data: str) -> None:
        if self._in_takeaway:
            self.takeaways.append(data)
            self._in_takeaway = False
        if self._in_manifest:
            self.manifest += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_manifest = False


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine(tmp_path_factory)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report(eng: Engine, tmp_path: Path, lang: str) -> None:
    b = build_briefing(eng, ChartParams(country="JP", lang=lang), charts=CHARTS, png=False)
    path = write_html(b, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    p = _Parser()
    p.feed(text)
    assert p.sections == CHARTS and p.svgs == len(CHARTS)
    assert p.external == []  # one self-contained file: no script, no remote resource
    assert p.takeaways == [i.result.takeaway for i in b.items if i.result]
    for i in b.items:
        assert i.result is not None
        assert html.escape(CATALOG[i.chart.id].title[lang]) in text and html.escape(i.result.caption) in text
    manifest = json.loads(p.manifest)
    assert manifest["store"]["content_hash"] == eng.provenance["content_hash"]
    assert [c["id"] for c in manifest["charts"]] == CHARTS
    assert f'<html lang="{lang}">' in text and "SIMULATED" in text
    # every chart's data table is in the report, with a value from the chart data
    first = b.items[0].result
    assert first is not None and f"<th>{first.table.column_names[0]}</th>" in text


def test_report_reuses_the_deck_pngs(eng: Engine, tmp_path: Path) -> None:
    b = build_briefing(eng, ChartParams(country="JP", lang="en"), charts=CHARTS[:1], png=True)
    text = write_html(b, tmp_path / "r.html").read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == 1 and "<svg" not in text
