"""Exports read back by independent readers: VOSviewer JSON structure, map/network files, GraphML (igraph),
GEXF (XML parse against the GEXF 1.3 structure), charts rendered by vl-convert."""

from __future__ import annotations

import csv
import json

import igraph as ig
import pytest
from lxml import etree

from junkan.engine import connect
from junkan.errors import ConfigError
from junkan.mapping import build_series, export_map, intl_participation_chart, map_chart, participation_chart, save_chart
from junkan.mapping import country_series
from junkan.mapping.planted import planted_world


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    pw = planted_world(n_areas=10, seed=4)
    root = tmp_path_factory.mktemp("exp") / "s"
    pw.store(root)
    return build_series(connect(root, threads=2), list(pw.editions), top_pct=pw.top_pct)


def test_vosviewer_json_structure(maps, tmp_path):
    m = maps[1]
    (p,) = export_map(m, tmp_path / "map.json", fmt="vosviewer-json")
    doc = json.loads(p.read_text(encoding="utf-8"))
    items, links = doc["network"]["items"], doc["network"]["links"]
    assert len(items) == m.n_areas
    ids = {it["id"] for it in items}
    for it in items:
        assert set(it) >= {"id", "label", "x", "y", "cluster", "weights"}
        assert isinstance(it["id"], int) and it["id"] >= 1 and isinstance(it["cluster"], int) and it["cluster"] >= 1
        assert isinstance(it["x"], float) and isinstance(it["y"], float)
        assert it["weights"]["Core papers"] > 0
    assert links, "the planted map has linked areas"
    for lk in links:
        assert set(lk) == {"source_id", "target_id", "strength"}
        assert lk["source_id"] in ids and lk["target_id"] in ids and lk["strength"] >= m.params.area_min_strength
    strong = [r for r in m.area_links.to_pylist() if r["strength"] >= m.params.area_min_strength]
    assert len(links) == len(strong)


def test_vosviewer_map_and_network_files(maps, tmp_path):
    m = maps[1]
    mp, net = export_map(m, tmp_path / "areas", fmt="vosviewer")
    rows = list(csv.DictReader(mp.open(encoding="utf-8"), delimiter="\t"))
    assert len(rows) == m.n_areas and {"id", "label", "x", "y", "cluster", "weight<Core papers>"} <= set(rows[0])
    assert sum(int(r["weight<Core papers>"]) for r in rows) == sum(m.areas["n_core"].to_pylist())
    lines = [ln.split("\t") for ln in net.read_text().splitlines()]
    ids = {r["id"] for r in rows}
    assert lines and all(len(x) == 3 and x[0] in ids and x[1] in ids and float(x[2]) > 0 for x in lines)


@pytest.mark.parametrize("level", ["areas", "fronts"])
def test_graphml_reads_back_in_igraph(maps, tmp_path, level):
    m = maps[1]
    (p,) = export_map(m, tmp_path / f"{level}.graphml", fmt="graphml", level=level)
    g = ig.Graph.Read_GraphML(str(p))
    n = m.n_areas if level == "areas" else m.fronts.num_rows
    assert g.vcount() == n
    assert sorted(g.vs["n_core"]) == sorted(float(x) for x in (m.areas if level == "areas" else m.fronts)["n_core"].to_pylist())
    assert g.ecount() > 0 and min(g.es["weight"]) >= m.params.area_min_strength


def test_gexf_structure(maps, tmp_path):
    m = maps[1]
    (p,) = export_map(m, tmp_path / "map.gexf", fmt="gexf")
    root = etree.parse(str(p)).getroot()
    ns = {"g": "http://gexf.net/1.3", "viz": "http://gexf.net/1.3/viz"}
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    nodes = root.findall("g:graph/g:nodes/g:node", ns)
    edges = root.findall("g:graph/g:edges/g:edge", ns)
    assert len(nodes) == m.n_areas
    node_ids = {n.get("id") for n in nodes}
    assert all(e.get("source") in node_ids and e.get("target") in node_ids and float(e.get("weight")) > 0 for e in edges)
    attr_ids = {a.get("id") for a in root.findall("g:graph/g:attributes[@class='node']/g:attribute", ns)}
    for n in nodes:
        assert n.find("viz:position", ns) is not None and n.find("viz:size", ns) is not None
        assert {v.get("for") for v in n.findall("g:attvalues/g:attvalue", ns)} <= attr_ids
    assert len(edges) == len(json.loads(export_map(m, tmp_path / "x.json", fmt="vosviewer-json")[0].read_text())["network"]["links"])


def test_unknown_format(maps, tmp_path):
    with pytest.raises(ConfigError):
        export_map(maps[1], tmp_path / "x", fmt="pajek")


def test_charts_render_offline(maps, tmp_path):
    m = maps[1]
    ch = map_chart(m)
    spec = ch.to_dict()
    assert spec["layer"][1]["mark"]["type"] == "circle"
    png = save_chart(ch, tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_chart(map_chart(m, color="share", country="US"), tmp_path / "map.svg").read_text()
    assert svg.lstrip().startswith("<svg") and svg.count("<path") > m.n_areas
    s = country_series(maps)
    assert save_chart(participation_chart(s, countries=["US", "CN"]), tmp_path / "p4.svg").stat().st_size > 1000
    html = save_chart(intl_participation_chart(m, countries=["US", "CN", "JP"]), tmp_path / "p5.html").read_text()
    assert "vega" in html and "cdn.jsdelivr" not in html
    with pytest.raises(ConfigError):
        map_chart(m, color="share")
