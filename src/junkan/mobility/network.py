"""Flow networks with thresholds and width classes, exported for Gephi (GEXF, GraphML), VOSviewer (JSON) and CSV.

>>> import pyarrow as pa
>>> f = pa.table({"origin": ["US", "CN"], "destination": ["CN", "US"], "flow": [12000, 4100]})
>>> net = flow_network(f, threshold=4000)
>>> [(e.source, e.target, e.width_class) for e in net.edges]
[('US', 'CN', 2), ('CN', 'US', 1)]
"""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from junkan.errors import ConfigError
from junkan.model.countries import country_name

__all__ = [
    "BRIEFING_CLASSES",
    "EXPORT_FORMATS",
    "FlowNetwork",
    "flow_matrix",
    "flow_network",
    "write_network",
]

#: Arrow width classes of the briefing map (lower bounds): [4k,10k), [10k,20k), [20k,50k), ≥ 50k.
BRIEFING_CLASSES: tuple[int, ...] = (4_000, 10_000, 20_000, 50_000)

EXPORT_FORMATS = ("csv", "gexf", "graphml", "vosviewer")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    flow: int
    reverse_flow: int
    width_class: int  # 1..len(classes)
    width_label: str


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    label_ja: str
    inflow: int
    outflow: int

    @property
    def net(self) -> int:
        return self.inflow - self.outflow


@dataclass
class FlowNetwork:
    """Countries and directed edges kept by the threshold (totals computed over *all* flows, not only kept edges)."""

    nodes: list[Node]
    edges: list[Edge]
    classes: tuple[int, ...]
    threshold: int
    provenance: dict[str, Any] = field(default_factory=dict)


def _class_of(flow: int, classes: Sequence[int]) -> int:
    k = 0
    for i, lo in enumerate(classes):
        if flow >= lo:
            k = i + 1
    return k


def _label(k: int, classes: Sequence[int]) -> str:
    lo = classes[k - 1]
    return f">={lo:,}" if k == len(classes) else f"[{lo:,}, {classes[k]:,})"


def flow_network(
    flows: pa.Table,
    *,
    threshold: int | None = None,
    classes: Sequence[int] = BRIEFING_CLASSES,
    top: int | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> FlowNetwork:
    """The drawable network of a computed flow table (``origin, destination, flow``).

    ``threshold`` (default: the first class bound, 4,000 as in the briefing) drops smaller directed edges;
    ``top`` keeps only the ``top`` largest edges after the threshold. ``classes`` are increasing lower bounds of the
    width classes; an edge's ``width_class`` is 1 + the number of bounds it reaches beyond the first (0 below).
    Nodes are the countries of kept edges, with in/out totals over every flow in the table.
    """
    cls = tuple(int(c) for c in classes)
    if not cls or any(b <= a for a, b in zip(cls, cls[1:])) or cls[0] < 1:
        raise ConfigError(f"classes {classes!r}: expected increasing positive lower bounds such as 4000,10000,20000,50000")
    thr = cls[0] if threshold is None else int(threshold)
    rows = flows.select(["origin", "destination", "flow"]).to_pylist()
    inflow: dict[str, int] = {}
    outflow: dict[str, int] = {}
    fmap: dict[tuple[str, str], int] = {}
    for r in rows:
        o, d, f = r["origin"], r["destination"], int(r["flow"])
        fmap[(o, d)] = fmap.get((o, d), 0) + f
        outflow[o] = outflow.get(o, 0) + f
        inflow[d] = inflow.get(d, 0) + f
    kept = sorted(((k, f) for k, f in fmap.items() if f >= thr and k[0] != k[1]), key=lambda x: (-x[1], x[0]))
    if top is not None:
        kept = kept[: int(top)]
    edges = []
    for (o, d), f in kept:
        k = _class_of(f, cls)
        edges.append(Edge(o, d, f, fmap.get((d, o), 0), k, _label(k, cls) if k else f"<{cls[0]:,}"))
    ids = sorted({e.source for e in edges} | {e.target for e in edges})
    nodes = [Node(c, country_name(c, "en"), country_name(c, "ja"), inflow.get(c, 0), outflow.get(c, 0)) for c in ids]
    return FlowNetwork(nodes, edges, cls, thr, dict(provenance or {}))


def flow_matrix(flows: pa.Table, *, countries: Sequence[str] | None = None) -> pa.Table:
    """Origin × destination matrix: one row per origin, one column per destination (0 where no flow)."""
    rows = flows.select(["origin", "destination", "flow"]).to_pylist()
    cs = sorted(set(countries) if countries else {r["origin"] for r in rows} | {r["destination"] for r in rows})
    m = {(r["origin"], r["destination"]): int(r["flow"]) for r in rows}
    cols: dict[str, list[Any]] = {"origin": cs}
    for d in cs:
        cols[d] = [m.get((o, d), 0) for o in cs]
    return pa.table(cols)


# ----------------------------------------------------------------------------------------------------------------
# writers


def _prov_text(net: FlowNetwork) -> str:
    return json.dumps(net.provenance, ensure_ascii=False, default=str, sort_keys=True)


def _write_csv(net: FlowNetwork, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["origin", "destination", "flow", "reverse_flow", "gross", "net", "width_class", "width_label"])
        for e in net.edges:
            w.writerow([e.source, e.target, e.flow, e.reverse_flow, e.flow + e.reverse_flow, e.flow - e.reverse_flow,
                        e.width_class, e.width_label])
    Path(f"{path}.provenance.json").write_text(_prov_text(net) + "\n", encoding="utf-8")


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _write_gexf(net: FlowNetwork, path: Path) -> None:
    ns = "http://gexf.net/1.3"
    ET.register_namespace("", ns)
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    root = ET.Element(q("gexf"), {"version": "1.3"})
    meta = ET.SubElement(root, q("meta"))
    ET.SubElement(meta, q("creator")).text = "junkan"
    ET.SubElement(meta, q("description")).text = "International bilateral flows of scientific authors; " + _prov_text(net)
    g = ET.SubElement(root, q("graph"), {"defaultedgetype": "directed", "mode": "static"})
    na = ET.SubElement(g, q("attributes"), {"class": "node", "mode": "static"})
    for i, (name, typ) in enumerate((("label_ja", "string"), ("inflow", "long"), ("outflow", "long"), ("net", "long"))):
        ET.SubElement(na, q("attribute"), {"id": str(i), "title": name, "type": typ})
    ea = ET.SubElement(g, q("attributes"), {"class": "edge", "mode": "static"})
    for i, (name, typ) in enumerate((("flow", "long"), ("reverse_flow", "long"), ("width_class", "integer"),
                                     ("width_label", "string"))):
        ET.SubElement(ea, q("attribute"), {"id": str(i), "title": name, "type": typ})
    nodes = ET.SubElement(g, q("nodes"))
    for n in net.nodes:
        el = ET.SubElement(nodes, q("node"), {"id": n.id, "label": n.label})
        av = ET.SubElement(el, q("attvalues"))
        for i, v in enumerate((n.label_ja, n.inflow, n.outflow, n.net)):
            ET.SubElement(av, q("attvalue"), {"for": str(i), "value": str(v)})
    edges = ET.SubElement(g, q("edges"))
    for k, e in enumerate(net.edges):
        el = ET.SubElement(edges, q("edge"), {"id": str(k), "source": e.source, "target": e.target,
                                              "weight": str(float(e.flow)), "label": e.width_label})
        av = ET.SubElement(el, q("attvalues"))
        for i, v in enumerate((e.flow, e.reverse_flow, e.width_class, e.width_label)):
            ET.SubElement(av, q("attvalue"), {"for": str(i), "value": str(v)})
    path.write_bytes(_xml_bytes(root))


def _write_graphml(net: FlowNetwork, path: Path) -> None:
    ns = "http://graphml.graphdrawing.org/xmlns"
    ET.register_namespace("", ns)
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    root = ET.Element(q("graphml"))
    keys = [
        ("d_label", "node", "label", "string"), ("d_label_ja", "node", "label_ja", "string"),
        ("d_inflow", "node", "inflow", "long"), ("d_outflow", "node", "outflow", "long"), ("d_net", "node", "net", "long"),
        ("d_weight", "edge", "weight", "double"), ("d_flow", "edge", "flow", "long"),
        ("d_reverse", "edge", "reverse_flow", "long"), ("d_class", "edge", "width_class", "int"),
        ("d_wlabel", "edge", "width_label", "string"),
    ]
    for kid, dom, name, typ in keys:
        ET.SubElement(root, q("key"), {"id": kid, "for": dom, "attr.name": name, "attr.type": typ})
    g = ET.SubElement(root, q("graph"), {"id": "flows", "edgedefault": "directed"})
    ET.SubElement(g, q("desc")).text = _prov_text(net)
    for n in net.nodes:
        el = ET.SubElement(g, q("node"), {"id": n.id})
        for kid, v in (("d_label", n.label), ("d_label_ja", n.label_ja), ("d_inflow", n.inflow),
                       ("d_outflow", n.outflow), ("d_net", n.net)):
            ET.SubElement(el, q("data"), {"key": kid}).text = str(v)
    for k, e in enumerate(net.edges):
        el = ET.SubElement(g, q("edge"), {"id": f"e{k}", "source": e.source, "target": e.target})
        for kid, v in (("d_weight", float(e.flow)), ("d_flow", e.flow), ("d_reverse", e.reverse_flow),
                       ("d_class", e.width_class), ("d_wlabel", e.width_label)):
            ET.SubElement(el, q("data"), {"key": kid}).text = str(v)
    path.write_bytes(_xml_bytes(root))


def vosviewer_json(net: FlowNetwork) -> dict[str, Any]:
    """VOSviewer JSON (``{"network": {"items": [...], "links": [...]}}``). VOSviewer links are undirected, so each
    pair of kept edges becomes one link with ``strength`` = gross flow between the two countries."""
    index = {n.id: i + 1 for i, n in enumerate(net.nodes)}
    items = [
        {
            "id": index[n.id],
            "label": n.label,
            "description": f"{n.id} {n.label_ja}: inflow {n.inflow:,}, outflow {n.outflow:,}, net {n.net:+,}",
            "weights": {"Inflow": n.inflow, "Outflow": n.outflow, "Links": 0},
            "scores": {"Net flow": n.net},
        }
        for n in net.nodes
    ]
    strength: dict[tuple[str, str], int] = {}
    for e in net.edges:
        key = (min(e.source, e.target), max(e.source, e.target))
        strength[key] = e.flow + e.reverse_flow
    links = [{"source_id": index[a], "target_id": index[b], "strength": s} for (a, b), s in sorted(strength.items())]
    deg: dict[int, int] = {}
    for ln in links:
        deg[ln["source_id"]] = deg.get(ln["source_id"], 0) + 1
        deg[ln["target_id"]] = deg.get(ln["target_id"], 0) + 1
    for it in items:
        it["weights"]["Links"] = deg.get(it["id"], 0)
    return {
        "network": {"items": items, "links": links},
        "config": {"terminology": {"item": "country", "items": "countries", "link": "flow", "links": "flows",
                                   "link_strength": "gross author flow", "total_link_strength": "total gross flow"}},
        "junkan": {"provenance": net.provenance, "threshold": net.threshold, "classes": list(net.classes)},
    }


def write_network(net: FlowNetwork, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``net`` as ``csv`` (edge list + ``.provenance.json``), ``gexf`` (1.3), ``graphml`` or ``vosviewer``
    (JSON); ``fmt`` defaults to the file extension (``.json`` → vosviewer)."""
    out = Path(path)
    if fmt is None:
        ext = out.suffix.lower().lstrip(".")
        fmt = {"json": "vosviewer"}.get(ext, ext)
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown network format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        _write_csv(net, out)
    elif fmt == "gexf":
        _write_gexf(net, out)
    elif fmt == "graphml":
        _write_graphml(net, out)
    else:
        out.write_text(json.dumps(vosviewer_json(net), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out
