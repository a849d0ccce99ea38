"""Exports of a science map: VOSviewer JSON, VOSviewer map + network files, GEXF 1.3, GraphML; charts.

Every export writes the **areas** (default) or the **fronts** of a map as nodes with their co-citation links.

* VOSviewer JSON: ``{"network": {"items": [{"id", "label", "x", "y", "cluster", "weights", "scores"}],
  "links": [{"source_id", "target_id", "strength"}]}, "config": {...}}`` — the structure VOSviewer and
  VOSviewer Online read (ids are integers ≥ 1, clusters integers ≥ 1).
* VOSviewer map file (tab-separated: ``id, label, x, y, cluster, weight<…>, score<…>``) and network file
  (``id1 id2 strength``, no header).
* GEXF 1.3 with node attributes and ``viz:position`` / ``viz:size`` (Gephi).
* GraphML through igraph (Gephi, Cytoscape, networkx, igraph).

Charts (Altair / Vega-Lite): :func:`map_chart` (the interactive map for the dashboard), :func:`participation_chart`
(page 4: areas with participation per edition) and :func:`intl_participation_chart` (page 5); :func:`save_chart`
writes ``.png``, ``.svg``, ``.html`` (offline, bundled) or ``.json`` (the Vega-Lite spec) with vl-convert.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import igraph as ig
import numpy as np
import pyarrow as pa

from junkan.errors import ConfigError

if TYPE_CHECKING:
    from junkan.mapping.build import ScienceMap

__all__ = [
    "EXPORT_FORMATS",
    "export_map",
    "intl_participation_chart",
    "map_chart",
    "network_tables",
    "participation_chart",
    "save_chart",
    "to_gexf",
    "to_graphml",
    "to_vosviewer_files",
    "to_vosviewer_json",
]

EXPORT_FORMATS = ("vosviewer-json", "vosviewer", "gexf", "graphml")
GEO_COLORS = {"continent": "#1b9e77", "peninsula": "#7570b3", "island": "#d95f02", "small_island": "#e7298a"}


def network_tables(m: ScienceMap, *, level: str = "areas", min_strength: float | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes and links of the map at ``level`` (``areas`` or ``fronts``) as plain rows.

    Node rows: ``id`` (1-based), ``key`` (area/front id), ``label``, ``x``, ``y``, ``cluster`` (1-based area),
    ``n_core``, ``n_citing`` and, for areas, ``mean_year``, ``intl_rate``, ``top_country``, ``geo_type``.
    Links below ``min_strength`` (default: the map's ``area_min_strength``) are left out.
    """
    thr = m.params.area_min_strength if min_strength is None else float(min_strength)
    if level == "areas":
        rows = m.areas.to_pylist()
        nodes = [
            {
                "id": r["area_id"] + 1, "key": r["area_id"], "label": r["label"], "x": r["x"], "y": r["y"],
                "cluster": r["area_id"] + 1, "n_core": r["n_core"], "n_citing": r["n_citing"],
                "n_fronts": r["n_fronts"], "mean_year": r["mean_year"], "intl_rate": r["intl_rate"],
                "top_country": r["top_country"] or "", "top_share": r["top_share"], "geo_type": r["geo_type"] or "",
                "terms": "; ".join(r["terms"]),
            }
            for r in rows
        ]
        links = m.area_links
    elif level == "fronts":
        a = {r["area_id"]: r for r in m.areas.to_pylist()}
        fr = m.fronts.to_pylist()
        # fronts sit around their area's position
        rng = np.random.default_rng(m.params.layout_seed)
        jitter = rng.normal(scale=0.05, size=(len(fr), 2))
        nodes = [
            {
                "id": r["front_id"] + 1, "key": r["front_id"], "label": f"front {r['front_id']} ({a[r['area_id']]['label']})",
                "x": a[r["area_id"]]["x"] + float(jitter[k, 0]), "y": a[r["area_id"]]["y"] + float(jitter[k, 1]),
                "cluster": r["area_id"] + 1, "n_core": r["n_core"], "n_citing": r["n_citing"],
            }
            for k, r in enumerate(fr)
        ]
        links = m.front_links
    else:
        raise ConfigError(f"level {level!r}: choose areas or fronts")
    lk = [
        {"source_id": int(i) + 1, "target_id": int(j) + 1, "strength": float(s), "cocit": int(c)}
        for i, j, s, c in zip(
            links["i"].to_pylist(), links["j"].to_pylist(), links["strength"].to_pylist(), links["cocit"].to_pylist(), strict=True
        )
        if s >= thr
    ]
    return nodes, lk


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (np.isnan(v) or np.isinf(v)):
        return None
    return v


def to_vosviewer_json(m: ScienceMap, path: str | os.PathLike[str], *, level: str = "areas", min_strength: float | None = None) -> Path:
    """Write a VOSviewer JSON file (UTF-8)."""
    nodes, links = network_tables(m, level=level, min_strength=min_strength)
    items = []
    for n in nodes:
        weights = {"Core papers": n["n_core"], "Citing papers": n["n_citing"]}
        scores = {}
        if level == "areas":
            weights["Fronts"] = n["n_fronts"]
            scores = {"Mean year": _clean(n["mean_year"]), "International rate": _clean(n["intl_rate"])}
            scores = {k: v for k, v in scores.items() if v is not None}
        item = {
            "id": n["id"], "label": n["label"], "x": round(float(n["x"]), 6), "y": round(float(n["y"]), 6),
            "cluster": n["cluster"], "weights": weights, "scores": scores,
        }
        if level == "areas":
            item["description"] = (
                f"<b>{escape(n['label'])}</b><br>terms: {escape(n['terms'])}<br>top country: {escape(n['top_country'])}"
                f"<br>Sci-GEO: {escape(n['geo_type'] or 'n/a')}"
            )
        items.append(item)
    doc = {
        "network": {
            "items": items,
            "links": [{"source_id": lk["source_id"], "target_id": lk["target_id"], "strength": round(lk["strength"], 6)} for lk in links],
        },
        "config": {
            "terminology": {"item": "research area" if level == "areas" else "research front", "items": level,
                            "link": "co-citation link", "links": "co-citation links",
                            "link_strength": "co-citation strength (Salton)", "total_link_strength": "total co-citation strength"},
            "parameters": {"scale": 1.0},
        },
    }
    p = Path(path)
    p.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return p


def to_vosviewer_files(m: ScienceMap, map_path: str | os.PathLike[str], network_path: str | os.PathLike[str], *,
                       level: str = "areas", min_strength: float | None = None) -> tuple[Path, Path]:
    """Write a VOSviewer map file and network file (tab-separated)."""
    nodes, links = network_tables(m, level=level, min_strength=min_strength)
    head = ["id", "label", "x", "y", "cluster", "weight<Core papers>", "weight<Citing papers>"]
    if level == "areas":
        head += ["score<Mean year>", "score<International rate>"]
    lines = ["\t".join(head)]
    for n in nodes:
        row = [str(n["id"]), n["label"].replace("\t", " "), f"{n['x']:.6f}", f"{n['y']:.6f}", str(n["cluster"]),
               str(n["n_core"]), str(n["n_citing"])]
        if level == "areas":
            iy = _clean(n["intl_rate"])
            row += [f"{n['mean_year']:.2f}", f"{iy:.4f}" if iy is not None else ""]
        lines.append("\t".join(row))
    mp, np_ = Path(map_path), Path(network_path)
    mp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    np_.write_text("".join(f"{lk['source_id']}\t{lk['target_id']}\t{lk['strength']:.6f}\n" for lk in links), encoding="utf-8")
    return mp, np_


def _graph(m: ScienceMap, level: str, min_strength: float | None) -> ig.Graph:
    nodes, links = network_tables(m, level=level, min_strength=min_strength)
    g = ig.Graph(n=len(nodes), edges=[(lk["source_id"] - 1, lk["target_id"] - 1) for lk in links], directed=False)
    g.vs["name"] = [f"{'A' if level == 'areas' else 'F'}{n['key']}" for n in nodes]
    for key in nodes[0].keys() if nodes else []:
        if key in ("id",):
            continue
        vals = [n[key] for n in nodes]
        if any(isinstance(v, float) for v in vals):
            vals = [float("nan") if v is None else float(v) for v in vals]
        elif any(isinstance(v, str) for v in vals) or any(v is None for v in vals):
            vals = ["" if v is None else str(v) for v in vals]
        g.vs[key] = vals
    g.es["weight"] = [lk["strength"] for lk in links]
    g.es["cocit"] = [lk["cocit"] for lk in links]
    return g


def to_graphml(m: ScienceMap, path: str | os.PathLike[str], *, level: str = "areas", min_strength: float | None = None) -> Path:
    """Write GraphML (igraph's writer); node attributes as in :func:`network_tables`, edge ``weight``, ``cocit``."""
    p = Path(path)
    _graph(m, level, min_strength).write_graphml(str(p))
    return p


def to_gexf(m: ScienceMap, path: str | os.PathLike[str], *, level: str = "areas", min_strength: float | None = None) -> Path:
    """Write GEXF 1.3 (Gephi) with attributes and ``viz`` positions, sizes and Sci-GEO colours."""
    nodes, links = network_tables(m, level=level, min_strength=min_strength)
    attrs = [(k, "double" if k in ("x", "y", "mean_year", "intl_rate", "top_share") else "integer" if k in ("n_core", "n_citing", "n_fronts", "cluster", "key") else "string")
             for k in (nodes[0].keys() if nodes else []) if k not in ("id", "label", "x", "y")]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">',
           f'  <meta><creator>junkan</creator><description>{escape(f"science map {m.edition} ({level})")}</description></meta>',
           '  <graph mode="static" defaultedgetype="undirected">',
           '    <attributes class="node">']
    for k, (name, typ) in enumerate(attrs):
        out.append(f'      <attribute id="{k}" title={quoteattr(name)} type="{typ}"/>')
    out.append('    </attributes>')
    out.append('    <attributes class="edge"><attribute id="0" title="cocit" type="integer"/></attributes>')
    out.append('    <nodes>')
    for n in nodes:
        out.append(f'      <node id="{n["id"]}" label={quoteattr(str(n["label"]))}>')
        vals = []
        for k, (name, _typ) in enumerate(attrs):
            v = _clean(n[name])
            if v is None or v == "":
                continue
            vals.append(f'<attvalue for="{k}" value={quoteattr(str(v))}/>')
        out.append(f'        <attvalues>{"".join(vals)}</attvalues>')
        color = GEO_COLORS.get(n.get("geo_type") or "", "#4c78a8")
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        out.append(f'        <viz:position x="{100 * n["x"]:.4f}" y="{100 * n["y"]:.4f}" z="0.0"/>'
                   f'<viz:size value="{2 + np.sqrt(n["n_core"]):.3f}"/><viz:color r="{r}" g="{g}" b="{b}"/>')
        out.append('      </node>')
    out.append('    </nodes>')
    out.append('    <edges>')
    for k, lk in enumerate(links):
        out.append(f'      <edge id="{k}" source="{lk["source_id"]}" target="{lk["target_id"]}" weight="{lk["strength"]:.6f}">'
                   f'<attvalues><attvalue for="0" value="{lk["cocit"]}"/></attvalues></edge>')
    out.append('    </edges>')
    out.append('  </graph>')
    out.append('</gexf>')
    p = Path(path)
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p


def export_map(m: ScienceMap, out: str | os.PathLike[str], *, fmt: str, level: str = "areas",
               min_strength: float | None = None) -> list[Path]:
    """Export ``m`` in ``fmt`` (one of :data:`EXPORT_FORMATS`) to ``out`` (a file; for ``vosviewer`` the stem of
    ``<stem>_map.txt`` and ``<stem>_network.txt``). Returns the files written."""
    o = Path(out)
    if fmt == "vosviewer-json":
        return [to_vosviewer_json(m, o, level=level, min_strength=min_strength)]
    if fmt == "vosviewer":
        stem = o.with_suffix("") if o.suffix else o
        return list(to_vosviewer_files(m, f"{stem}_map.txt", f"{stem}_network.txt", level=level, min_strength=min_strength))
    if fmt == "gexf":
        return [to_gexf(m, o, level=level, min_strength=min_strength)]
    if fmt == "graphml":
        return [to_graphml(m, o, level=level, min_strength=min_strength)]
    raise ConfigError(f"export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")


# ------------------------------------------------------------------------------------------------- charts


def map_chart(m: ScienceMap, *, color: str = "geo_type", country: str | None = None, width: int = 640, height: int = 520,
              min_strength: float | None = None, title: str | None = None) -> Any:
    """Interactive Altair chart of the areas: links as rules, areas as circles sized by core papers.

    ``color``: ``geo_type`` (Sci-GEO), ``top_country``, ``intl_rate``, ``mean_year`` or ``share`` (the share of
    ``country`` in every area; areas without it are grey). Tooltips give terms, sizes, shares and type.
    """
    import altair as alt

    nodes, links = network_tables(m, level="areas", min_strength=min_strength)
    share: dict[int, float] = {}
    if color == "share":
        if not country:
            raise ConfigError("color='share' needs country='JP' (for example)")
        ac = m.area_countries.to_pylist()
        share = {r["area_id"]: r["share"] for r in ac if r["country"] == country}
    for n in nodes:
        n["share"] = share.get(n["key"], 0.0)
        n["intl_rate"] = _clean(n["intl_rate"])
    pos = {n["id"]: (n["x"], n["y"]) for n in nodes}
    edges = [{"x": pos[lk["source_id"]][0], "y": pos[lk["source_id"]][1], "x2": pos[lk["target_id"]][0],
              "y2": pos[lk["target_id"]][1], "strength": lk["strength"]} for lk in links]
    base_x = alt.X("x:Q", axis=None, scale=alt.Scale(zero=False))
    base_y = alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False))
    layer_e = alt.Chart(alt.Data(values=edges)).mark_rule(color="#bbbbbb").encode(
        x=base_x, y=base_y, x2="x2:Q", y2="y2:Q", strokeWidth=alt.StrokeWidth("strength:Q", legend=None, scale=alt.Scale(range=[0.3, 3])),
        opacity=alt.value(0.6),
    )
    if color == "geo_type":
        # The first edition of a series has no previous map: its areas are "untyped" (shown grey, not dropped).
        for n in nodes:
            n["geo_type"] = n.get("geo_type") or "untyped"
        domain = [*GEO_COLORS, "untyped"]
        enc = alt.Color("geo_type:N", title="Sci-GEO", scale=alt.Scale(domain=domain, range=[*GEO_COLORS.values(), "#9e9e9e"]))
    elif color in ("top_country",):
        enc = alt.Color("top_country:N", title="top country")
    elif color in ("intl_rate", "mean_year", "share"):
        enc = alt.Color(f"{color}:Q", title=country if color == "share" else color, scale=alt.Scale(scheme="viridis"))
    else:
        raise ConfigError(f"color {color!r}: choose geo_type, top_country, intl_rate, mean_year or share")
    sel = alt.selection_point(fields=["key"], on="click")
    layer_n = alt.Chart(alt.Data(values=nodes)).mark_circle(stroke="white", strokeWidth=0.5).encode(
        x=base_x, y=base_y, color=enc,
        size=alt.Size("n_core:Q", title="core papers", scale=alt.Scale(range=[30, 900])),
        opacity=alt.condition(sel, alt.value(0.9), alt.value(0.35)),
        tooltip=[alt.Tooltip("label:N", title="area"), alt.Tooltip("terms:N"), alt.Tooltip("n_core:Q", title="core papers"),
                 alt.Tooltip("n_citing:Q", title="citing papers"), alt.Tooltip("mean_year:Q", format=".1f"),
                 alt.Tooltip("intl_rate:Q", format=".0%", title="intl co-authorship"), alt.Tooltip("top_country:N"),
                 alt.Tooltip("top_share:Q", format=".0%"), alt.Tooltip("geo_type:N", title="Sci-GEO")]
        + ([alt.Tooltip("share:Q", format=".1%", title=f"{country} share")] if color == "share" else []),
    ).add_params(sel)
    return (layer_e + layer_n).properties(width=width, height=height, title=title or f"Science map {m.edition}").interactive()


def participation_chart(series: pa.Table, *, countries: list[str] | None = None, measure: str = "n_areas") -> Any:
    """Page 4: areas with participation (``n_areas``), leadership (``n_leading``) or the participation rate
    per edition and country, from :func:`junkan.mapping.country_series`."""
    import altair as alt

    rows = series.to_pylist()
    if countries:
        rows = [r for r in rows if r["country"] in countries]
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("edition:N", title="map edition", sort=None), y=alt.Y(f"{measure}:Q", title=measure.replace("_", " ")),
        color=alt.Color("country:N"), tooltip=["edition:N", "country:N", f"{measure}:Q", "areas_total:Q"],
    ).properties(width=480, height=300)


def intl_participation_chart(m: ScienceMap, *, countries: list[str] | None = None) -> Any:
    """Page 5: per country, areas entered with internationally co-authored core papers vs with domestic ones only."""
    import altair as alt

    rows = []
    for r in m.countries.to_pylist():
        if countries and r["country"] not in countries:
            continue
        rows.append({"country": r["country"], "kind": "with international papers", "areas": r["n_areas_intl"]})
        rows.append({"country": r["country"], "kind": "domestic papers only", "areas": r["n_areas_domestic"]})
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("country:N", sort=countries), y=alt.Y("areas:Q", stack=True, title="areas with participation"),
        color=alt.Color("kind:N"), tooltip=["country:N", "kind:N", "areas:Q"],
    ).properties(width=360, height=300, title=f"Participation and international papers, {m.edition}")


def save_chart(chart: Any, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
    """Save an Altair chart as ``.png``/``.svg`` (vl-convert, no browser), ``.html`` (offline bundle) or ``.json``."""
    import vl_convert as vlc

    p = Path(path)
    spec = chart.to_dict()
    suffix = p.suffix.lower()
    if suffix == ".png":
        p.write_bytes(vlc.vegalite_to_png(spec, scale=scale))
    elif suffix == ".svg":
        p.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    elif suffix == ".html":
        p.write_text(vlc.vegalite_to_html(spec, bundle=True), encoding="utf-8")
    elif suffix == ".json":
        p.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    else:
        raise ConfigError(f"chart file {p.name}: use .png, .svg, .html or .json")
    return p
