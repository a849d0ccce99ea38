"""`junkan brief`, `junkan chart` and `junkan stats` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pptx import Presentation
from typer.testing import CliRunner

from junkan.cli import app, build_command
from tests.charts.world import EXCHANGE_CSV, world_dir

runner = CliRunner()
build_command()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world_dir(tmp_path_factory) / "store"


def test_brief_pptx_and_html(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.pptx"
    res = runner.invoke(app, ["brief", "-s", str(store), "--country", "JP", "--lang", "en", "--chart",
                              "intl_coauthorship_trend", "--chart", "cohort_phases", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "International co-authorship" in res.output and f"wrote {out}" in res.output.replace("\n", "")
    assert len(Presentation(str(out)).slides) == 1 + 2 + 2
    html = tmp_path / "r.html"
    res = runner.invoke(app, ["brief", "-s", str(store), "--lang", "ja", "--format", "html", "--chart",
                              "intl_coauthorship_trend", "-o", str(html)])
    assert res.exit_code == 0, res.output
    assert "国際共著論文割合の推移" in html.read_text(encoding="utf-8")


def test_brief_errors(store: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["brief", "-s", str(store), "--lang", "fr", "-o", str(tmp_path / "x.pptx")])
    assert res.exit_code == 1 and "lang 'fr'" in res.output
    res = runner.invoke(app, ["brief", "-s", str(tmp_path / "nostore"), "-o", str(tmp_path / "x.pptx")])
    assert res.exit_code == 1 and "not a junkan store" in res.output


def test_chart_outputs(store: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["chart", "--list"])
    assert res.exit_code == 0 and "world_flows" in res.output
    for name in ("c.png", "c.svg", "c.vl.json", "c.json"):
        res = runner.invoke(app, ["chart", "intl_coauthorship_trend", "-s", str(store), "--lang", "en", "-o",
                                  str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "c.vl.json").read_text())["$schema"].startswith("https://vega.github.io")
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["data"] and doc["provenance"]["chart"]["id"] == "intl_coauthorship_trend"


def test_stats_import_list_show(tmp_path: Path) -> None:
    store = tmp_path / "store"  # its own folder: the shared world's statistics stay as test_catalog expects
    store.mkdir()
    f = tmp_path / "sent.csv"
    f.write_text(EXCHANGE_CSV, encoding="utf-8")
    res = runner.invoke(app, ["stats", "import", str(f), "-s", str(store), "--dataset", "sent", "--title", "Sent",
                              "--unit", "researchers", "--source", "MEXT", "--licence", "CC BY 4.0"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "read 6 = kept 4 + rejected 2" in out and "line 5, field 'country'" in out
    res = runner.invoke(app, ["stats", "import", str(f), "-s", str(store), "--title", "Sent", "--unit", "r",
                              "--source", "MEXT", "--licence", "x", "--strict"])
    assert res.exit_code == 1 and "line 5" in res.output and "field 'country'" in res.output
    res = runner.invoke(app, ["stats", "import", str(f), "-s", str(store), "--title", "Sent"])
    assert res.exit_code != 0  # --unit, --source and --licence are required
    res = runner.invoke(app, ["stats", "list", "-s", str(store)])
    assert res.exit_code == 0 and "sent" in res.output and "mpidr" in res.output
    res = runner.invoke(app, ["stats", "show", "sent", "-s", str(store), "-f", "csv", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    prov = json.loads((tmp_path / "s.csv.provenance.json").read_text())
    assert prov["source"] == "MEXT" and prov["licence"] == "CC BY 4.0"
