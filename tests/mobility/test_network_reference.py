"""Flow network exports (read back with igraph / parsed against the GEXF and VOSviewer structures) and the MPIDR
reference layer."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import igraph
import pyarrow as pa
import pytest

from junkan.errors import ConfigError
from junkan.mobility import flow_matrix, flow_network, mpidr_flows, mpidr_rates, vosviewer_json, write_network
from junkan.mobility.reference import compare_rates

FLOWS = pa.table({
    "origin": ["US", "CN", "US", "GB", "DE", "JP", "US"],
    "destination": ["CN", "US", "GB", "US", "US", "US", "JP"],
    "flow": [52_000, 21_000, 12_000, 9_999, 4_000, 3_999, 4_500],
})


def test_threshold_and_width_classes():
    net = flow_network(FLOWS)
    got = {(e.source, e.target): (e.width_class, e.reverse_flow) for e in net.edges}
    assert got == {
        ("US", "CN"): (4, 21_000), ("CN", "US"): (3, 52_000), ("US", "GB"): (2, 9_999), ("GB", "US"): (1, 12_000),
        ("DE", "US"): (1, 0), ("US", "JP"): (1, 3_999),
    }  # JP -> US (3,999) is below 4,000
    us = next(n for n in net.nodes if n.id == "US")
    assert (us.inflow, us.outflow) == (21_000 + 9_999 + 4_000 + 3_999, 52_000 + 12_000 + 4_500)
    assert [e.width_label for e in net.edges[:2]] == [">=50,000", "[20,000, 50,000)"]
    assert len(flow_network(FLOWS, threshold=10_000).edges) == 3
    assert len(flow_network(FLOWS, top=2).edges) == 2
    with pytest.raises(ConfigError):
        flow_network(FLOWS, classes=(10, 5))


def test_exports_read_back(tmp_path):
    net = flow_network(FLOWS, provenance={"store_version": "v1", "period": "2006-2016"})
    g = igraph.Graph.Read_GraphML(str(write_network(net, tmp_path / "f.graphml")))
    assert g.is_directed() and g.vcount() == len(net.nodes) and g.ecount() == len(net.edges)
    names = g.vs["id"]
    e = {(names[x.source], names[x.target]): x for x in g.es}
    assert e[("US", "CN")]["flow"] == 52_000 and e[("US", "CN")]["width_class"] == 4
    assert g.vs[names.index("JP")]["label_ja"] == "日本"

    root = ET.parse(write_network(net, tmp_path / "f.gexf")).getroot()
    ns = {"g": "http://gexf.net/1.3"}
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    graph = root.find("g:graph", ns)
    assert graph.get("defaultedgetype") == "directed"
    nodes = {n.get("id"): n.get("label") for n in graph.findall("g:nodes/g:node", ns)}
    assert nodes["US"] == "United States" and len(nodes) == len(net.nodes)
    edges = graph.findall("g:edges/g:edge", ns)
    assert len(edges) == len(net.edges)
    for el in edges:  # every edge refers to declared nodes and has a numeric weight and declared attributes
        assert el.get("source") in nodes and el.get("target") in nodes and float(el.get("weight")) >= 4000
        declared = {a.get("id") for a in graph.findall("g:attributes[@class='edge']/g:attribute", ns)}
        assert {v.get("for") for v in el.findall("g:attvalues/g:attvalue", ns)} <= declared

    doc = json.loads(write_network(net, tmp_path / "f.json").read_text(encoding="utf-8"))
    items, links = doc["network"]["items"], doc["network"]["links"]
    ids = {i["id"] for i in items}
    assert all(isinstance(i["id"], int) and isinstance(i["label"], str) for i in items)
    assert all(ln["source_id"] in ids and ln["target_id"] in ids and ln["strength"] > 0 for ln in links)
    # VOSviewer links are undirected: US-CN is one link with the gross flow
    lab = {i["id"]: i["label"] for i in items}
    s = {frozenset((lab[ln["source_id"]], lab[ln["target_id"]])): ln["strength"] for ln in links}
    assert s[frozenset(("United States", "China"))] == 73_000 and len(links) == 4
    assert vosviewer_json(net)["network"]["items"][0]["weights"]["Links"] >= 1

    out = write_network(net, tmp_path / "f.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(net.edges) and rows[0]["origin"] == "US" and rows[0]["gross"] == "73000"
    assert json.loads((tmp_path / "f.csv.provenance.json").read_text())["period"] == "2006-2016"


def test_matrix():
    m = flow_matrix(FLOWS)
    row = {r["origin"]: r for r in m.to_pylist()}
    assert row["US"]["CN"] == 52_000 and row["CN"]["CN"] == 0 and row["JP"]["US"] == 3_999


def test_mpidr_reference_layer():
    r = mpidr_rates(database="openalex")
    row = {(x["country"], x["year"]): x for x in r.to_pylist()}
    # the OpenAlex side of the reduced tables ends in 2018; Scopus JP 2019 as shipped (src/junkan/data/mpidr)
    s = mpidr_rates(database="scopus")
    jp = {(x["country"], x["year"]): x for x in s.to_pylist()}[("JP", 2019)]
    assert jp["padded_population"] == 357_321 and jp["outflow_rate"] == pytest.approx(0.0100554)
    assert jp["counts"] == "rate × population" and round(jp["outflows"]) == round(0.0100554 * 357_321)
    assert max(y for c, y in row if c == "JP") == 2018
    assert any(c == "NA" for c, _ in row)  # Namibia, not a missing value
    assert all(x["source"].startswith("MPIDR Scholarly Migration Database") for x in r.to_pylist()[:5])
    assert s.num_rows > r.num_rows / 2
    f = mpidr_flows()
    top = max(f.to_pylist(), key=lambda x: x["flow"])
    assert top["flow"] > 10_000 and top["period"] == "2008-2018"
    own = pa.table({"country": ["JP"], "year": [2010], "padded_population": [10], "inflow_rate_padded": [0.02],
                    "outflow_rate_padded": [0.01], "net_rate_padded": [0.01]})
    c = {(x["country"], x["year"]): x for x in compare_rates(own, r).to_pylist()}
    assert c[("JP", 2010)]["diff_inflow_rate"] == pytest.approx(0.02 - row[("JP", 2010)]["inflow_rate"])
    with pytest.raises(ConfigError):
        mpidr_rates(database="wos")
