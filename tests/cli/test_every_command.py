"""Every indicator and mobility command runs from the CLI on a (small) simulated world and writes a table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli import app, build_command
from junkan.indicators import REGISTRY as INDICATORS
from junkan.mobility import REGISTRY as MOBILITY

runner = CliRunner()
build_command()

#: outputs that may legitimately be empty on a small world (none so far: each must produce rows)
MAY_BE_EMPTY: set[str] = set()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from junkan.simulate import simulate
    from junkan.sources.openalex import ingest

    root = tmp_path_factory.mktemp("every")
    simulate(root / "world", works=5000, seed=11)
    ingest([root / "world" / "data"], root / "store")
    return root / "store"


def _args(spec) -> list[str]:
    if spec.name == "venue_papers":  # needs a venue selection: the simulated conference series
        return ["--name-pattern", "%Lecture Notes%"]
    return ["--focus", "JP"] if any(o.name == "focus" for o in spec.options) else []


@pytest.mark.parametrize(("group", "name"), [("indicators", n) for n in INDICATORS] + [("mobility", n) for n in MOBILITY])
def test_command_runs(store: Path, tmp_path: Path, group: str, name: str) -> None:
    spec = (INDICATORS if group == "indicators" else MOBILITY)[name]
    out = tmp_path / f"{name}.json"
    res = runner.invoke(app, [group, name, "-s", str(store), *_args(spec), "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["provenance"]["store_version"] == "v000001" and doc["provenance"]["simulated"] is True
    if name not in MAY_BE_EMPTY:
        assert doc["data"], f"{group} {name} gave no rows"


def test_cohort_and_programs_commands(store: Path, tmp_path: Path) -> None:
    cohort = store.parent / "world" / "cohorts" / "JP-OVERSEAS.csv"
    res = runner.invoke(app, ["cohort", "evaluate", str(cohort), "-s", str(store), "--bootstrap", "50", "-o", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "Difference in differences" in res.output and (tmp_path / "c" / "did.csv").exists()
    prov = json.loads((tmp_path / "c" / "did.csv.provenance.json").read_text())
    assert prov  # every table carries the evaluation's provenance
    assert "in the DiD (all panel" in res.output
    assert "Host institutions by phase" in res.output and (tmp_path / "c" / "hosts_by_phase.csv").exists()
    res = runner.invoke(app, ["cohort", "evaluate", str(cohort), "-s", str(store), "--bootstrap", "20",
                              "--panel", "balanced", "--match-country", "base", "-o", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert "in the DiD (balanced panel" in res.output
    assert "members in the DiD (< 60)" in res.output  # the embedded test world's cohort is small
    prov = json.loads((tmp_path / "b" / "did.csv.provenance.json").read_text())
    assert prov["panel"] == "balanced" and prov["match_country"] == "base"
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,openalex_author_id,start,end,colour\np1,A1,2015,2012,red\n", encoding="utf-8")
    res = runner.invoke(app, ["cohort", "evaluate", str(bad), "-s", str(store), "--bootstrap", "10"])
    assert "problem" in res.output and "line" in res.output
    res = runner.invoke(app, ["programs", "evaluate", "-s", str(store), "--bootstrap", "50", "-o", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p" / "indicators.csv").exists()
