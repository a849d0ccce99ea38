"""The junkan command: --help everywhere, one-line errors with exit code 1, the demo, indicator outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from junkan.cli import app, build_command

runner = CliRunner()
build_command()  # registers the generated indicator commands on `app`


def _all_commands(cmd, path=()):
    yield path
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _all_commands(sub, (*path, name))


def test_help_on_every_command() -> None:
    root = build_command()
    paths = list(_all_commands(root))
    assert ("ingest", "openalex") in paths and ("indicators", "papers") in paths and ("demo",) in paths
    for path in paths:
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0, (path, res.output)
        assert "Usage" in res.output


def _junkan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "junkan", *args], cwd=cwd, capture_output=True, text=True)


def test_error_is_one_line_exit_1_and_debug_shows_traceback(tmp_path: Path) -> None:
    res = _junkan("ingest", "openalex", str(tmp_path / "missing.jsonl"), "--store", str(tmp_path / "st"), cwd=tmp_path)
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing.jsonl" in lines[0] and "no such file" in lines[0]
    assert "Traceback" not in res.stderr
    res = _junkan("--debug", "ingest", "openalex", str(tmp_path / "missing.jsonl"), "--store", str(tmp_path / "st"), cwd=tmp_path)
    assert res.returncode == 1 and "Traceback" in res.stderr


def test_demo_and_indicator_outputs(tmp_path: Path) -> None:
    # the briefing is checked on the simulated world below (on these 394 real records most charts have no data)
    res = _junkan("-q", "demo", "--data", "real", "--no-brief", "--out", "d", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "WLD" in res.stdout and "international_share" in res.stdout
    assert (tmp_path / "d" / "countries.xlsx").exists()
    prov = json.loads((tmp_path / "d" / "countries.csv.provenance.json").read_text())
    assert prov["indicator"] == "international_coauthorship" and prov["store_version"] == "v000001"
    res = _junkan("indicators", "papers", "-s", "d/store", "--profile", "all", "--counting", "fractional",
                  "--format", "parquet", "-o", "p.parquet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    t = pq.read_table(tmp_path / "p.parquet")
    meta = json.loads(t.schema.metadata[b"junkan.provenance"])
    assert meta["counting"] == "institution" and t.num_rows > 0
    res = _junkan("indicators", "papers", "-s", "d/store", "--counting", "bogus", cwd=tmp_path)
    assert res.returncode == 1 and "bogus" in res.stderr
    res = _junkan("store", "info", "d/store", cwd=tmp_path)
    assert res.returncode == 0 and "read 394 = kept 394 + rejected 0" in res.stdout.replace("\n", " ")


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_indicator_formats(tmp_path: Path, fmt: str) -> None:
    from junkan.sources.openalex import ingest

    from ..sources.oa_records import work, write_jsonl

    ingest([write_jsonl(tmp_path / "w.jsonl", [work(1), work(2, countries=("JP",))])], tmp_path / "st")
    res = runner.invoke(app, ["indicators", "international_coauthorship", "-s", str(tmp_path / "st"), "--profile", "all",
                              "--format", fmt, "-o", str(tmp_path / f"out.{fmt}")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / f"out.{fmt}").exists()
    if fmt == "json":
        doc = json.loads((tmp_path / "out.json").read_text())
        jp = [r for r in doc["data"] if r["country"] == "JP"][0]
        assert (jp["p"], jp["p_international"], jp["share"]) == (2, 1, 0.5)
        assert doc["provenance"]["store_version"] == "v000001"


def test_demo_simulated_small_world(tmp_path: Path) -> None:
    res = _junkan("-q", "demo", "--works", "3000", "--out", "d", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "SIMULATED" in res.stdout and "WLD" in res.stdout
    prov = json.loads((tmp_path / "d" / "countries.csv.provenance.json").read_text())
    assert prov["simulated"] is True and prov["filters"]["years"] is not None
    for name in ("brief-ja.pptx", "brief-en.pptx", "report-ja.html", "report-en.html"):  # the main job's deliverables
        assert (tmp_path / "d" / name).stat().st_size > 10_000, name
    assert "junkan serve" in res.stdout


def test_map_build_show_export(tmp_path: Path) -> None:
    from junkan.mapping import scientographer_store

    scientographer_store(tmp_path / "st")
    res = runner.invoke(app, ["map", "build", str(tmp_path / "st"), "--window", "2013-2026", "--top-pct", "20",
                              "--profile", "all", "-o", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "research areas" in res.output
    res = runner.invoke(app, ["map", "show", str(tmp_path / "m"), "--areas", "3"])
    assert res.exit_code == 0 and "Research areas" in res.output, res.output
    for fmt, name in (("vosviewer-json", "m.json"), ("graphml", "m.graphml"), ("svg", "m.svg")):
        res = runner.invoke(app, ["map", "export", str(tmp_path / "m"), "-f", fmt, "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        assert (tmp_path / name).stat().st_size > 0
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["network"]["items"] and "links" in doc["network"]
    res = runner.invoke(app, ["map", "build", str(tmp_path / "st"), "-o", str(tmp_path / "m2")])
    assert res.exit_code == 1


def test_mobility_commands(tmp_path: Path) -> None:
    from junkan.store import write_store

    rows = []
    aships, countries = [], []
    # author A1: JP 2010, US 2012, JP 2014 (outflow then returnee); A2 stays in US
    for i, (a, y, c) in enumerate([("A1", 2010, "JP"), ("A1", 2012, "US"), ("A1", 2014, "JP"), ("A2", 2010, "US"), ("A2", 2012, "US")]):
        wid = f"W{i}"
        rows.append({"work_id": wid, "publication_year": y, "type": "article", "source_type": "journal", "is_retracted": False,
                     "is_paratext": False, "field_id": 27, "subfield_id": 2700, "data_source": "test", "input_id": 0})
        aships.append({"work_id": wid, "author_position": 0, "author_id": a})
        countries.append({"work_id": wid, "author_position": 0, "country_code": c})
    write_store(tmp_path / "st", {"works": rows, "authorships": aships, "authorship_countries": countries})
    res = runner.invoke(app, ["mobility", "classes", "-s", str(tmp_path / "st"), "--format", "json", "-o", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    got = {(r["author_id"], r["year"], r["class"]) for r in json.loads((tmp_path / "c.json").read_text())["data"]}
    assert ("A1", 2012, "outflow") in got and ("A1", 2014, "returnee") in got and ("A2", 2012, "stayer") in got
    res = runner.invoke(app, ["mobility", "flows", "-s", str(tmp_path / "st"), "--period", "2010-2012",
                              "--network", str(tmp_path / "f.graphml"), "--threshold", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "f.graphml").exists()
