"""``junkan map build|show|export``: science maps (see docs/science-map.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import typer

from junkan.cli import app, console, progress_bar, run_guarded

map_app = typer.Typer(help="Science maps: co-citation research fronts and areas of Top 1% papers, Sci-GEO, exports.",
                      no_args_is_help=True)
app.add_typer(map_app, name="map")


def _parse_window(text: str) -> tuple[int, int]:
    from junkan.errors import ConfigError

    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise ConfigError(f"window {text!r}: write FIRST-LAST, e.g. 2015-2020") from None
    return a, b


@map_app.command("build")
def map_build(
    store: Path = typer.Argument(..., help="Store folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Map folder (one edition) or parent folder (several editions)."),
    window: str = typer.Option(None, "--window", "-w", help="Publication window FIRST-LAST, e.g. 2015-2020 (6 years is NISTEP's)."),
    editions: str = typer.Option(None, "--editions", help="Several windows, comma separated (e.g. 2011-2016,2013-2018): a series, each typed against the previous (Sci-GEO)."),
    previous: Path = typer.Option(None, "--previous", help="Map folder of the previous edition (turns on Sci-GEO typing)."),
    top_pct: float = typer.Option(1.0, "--top-pct", help="Core papers: Top x% most cited per field and year."),
    min_strength: float = typer.Option(0.1, "--min-strength", help="Paper co-citation threshold θ_F (Salton)."),
    front_resolution: float = typer.Option(0.1, "--front-resolution", help="CPM resolution of the front clustering."),
    area_resolution: float = typer.Option(0.1, "--area-resolution", help="CPM resolution of the area clustering."),
    seed: int = typer.Option(0, "--seed", help="Seed of the Leiden runs and the layout."),
    profile: str = typer.Option("all", "--profile", help="Document set: nistep, cwts or all."),
    backend: str = typer.Option("duckdb", "--backend", help="duckdb or pyspark."),
) -> None:
    """Build a science map (or a series of editions) and save it."""
    from junkan.engine import connect
    from junkan.errors import ConfigError
    from junkan.mapping import build_map, build_series, load_map

    def go() -> None:
        eng = connect(store, backend=backend)
        opts = dict(
            top_pct=top_pct, min_strength=min_strength, scope={"profile": profile},
            front={"quality": "cpm", "resolution": front_resolution, "min_size": 2, "seed": seed},
            area={"quality": "cpm", "resolution": area_resolution, "min_size": 0, "seed": seed},
            layout_seed=seed,
        )
        if editions:
            windows = [_parse_window(w) for w in editions.split(",")]
            with progress_bar("map") as update:
                update("editions", 0, len(windows))
                maps = build_series(eng, windows, **opts)
                update("editions", len(windows), len(windows))
            for m in maps:
                path = m.save(out / m.edition)
                _print_summary(m.summary(), path)
            return
        if not window:
            raise ConfigError("give --window FIRST-LAST or --editions")
        prev = load_map(previous) if previous else None
        m = build_map(eng, window=_parse_window(window), previous=prev, **opts)
        path = m.save(out)
        _print_summary(m.summary(), path)

    run_guarded(go)


def _print_summary(s: dict, path: Path) -> None:
    geo = s.get("geo_types")
    intl = s.get("intl_rate")
    console.print(
        f"map {s['edition']}: {s['areas']:,} research areas, {s['fronts']:,} fronts, "
        f"{s['core_papers_in_areas']:,} of {s['core_papers']:,} core papers in areas, {s['citing_papers']:,} citing papers"
        + (f", international rate {intl:.1%}" if intl is not None else "")
        + (f"; Sci-GEO {geo}" if geo else "")
        + f" → {path}"
    )


@map_app.command("show")
def map_show(
    path: Path = typer.Argument(..., help="Map folder."),
    areas: int = typer.Option(15, "--areas", help="Largest areas to list."),
    country: str = typer.Option(None, "--country", help="Show this country's participation (ISO alpha-2)."),
    countries: int = typer.Option(15, "--countries", help="Countries to list."),
) -> None:
    """Print a saved map: headline figures, the largest areas with their terms, the country table."""
    from junkan.cli.commands import print_table
    from junkan.mapping import load_map

    def go() -> None:
        m = load_map(path)
        _print_summary(m.summary(), path)
        a = m.areas.sort_by([("n_core", "descending"), ("area_id", "ascending")]).slice(0, areas)
        cols = [c for c in ("area_id", "n_core", "n_citing", "intl_rate", "top_country", "geo_type", "terms") if c in a.column_names]
        a = a.select(cols)
        if "terms" in a.column_names and pa.types.is_list(a.schema.field("terms").type):
            a = a.set_column(a.column_names.index("terms"), "terms", pa.array(["; ".join((t or [])[:3]) for t in a["terms"].to_pylist()]))
        print_table(a, title=f"Research areas / 研究領域 ({m.edition})")
        c = m.countries
        if country:
            c = c.filter(pc.equal(c["country"], country.upper()))
        else:
            c = c.sort_by([("n_areas", "descending"), ("country", "ascending")]).slice(0, countries)
        print_table(c, title="Participation by country / 国別の参画領域数")

    run_guarded(go)


@map_app.command("export")
def map_export(
    path: Path = typer.Argument(..., help="Map folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file."),
    fmt: str = typer.Option(..., "--format", "-f", help="vosviewer-json, vosviewer, gexf, graphml, png, svg or html."),
    level: str = typer.Option("areas", "--level", help="areas or fronts."),
    color: str = typer.Option("geo_type", "--color", help="Chart colour: geo_type, top_country or share (with --country)."),
    country: str = typer.Option(None, "--country", help="Country for --color share."),
) -> None:
    """Export a saved map for VOSviewer, Gephi (GEXF/GraphML) or as a chart (PNG/SVG/HTML)."""
    from junkan.mapping import export_map, load_map, map_chart, save_chart

    def go() -> None:
        m = load_map(path)
        if fmt in ("png", "svg", "html"):
            written = [save_chart(map_chart(m, color=color, country=country), out.with_suffix("." + fmt))]
        else:
            written = export_map(m, out, fmt=fmt, level=level)
        for w in written:
            console.print(f"wrote {w}")

    run_guarded(go)
