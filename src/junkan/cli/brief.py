"""``junkan brief`` (the briefing deck and HTML report), ``junkan chart`` (one chart) and ``junkan stats``
(official statistics)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from junkan.cli import app, console, progress_bar, run_guarded

stats_app = typer.Typer(help="Official statistics (exchange surveys, OECD tables, MPIDR) shown next to the indicators.",
                        no_args_is_help=True)
app.add_typer(stats_app, name="stats")

_STORE_HELP = "Store folder (default: the demo's store)."
DEFAULT_STORE = Path("junkan-demo/store")


def _params(country: str, lang: str, start: int | None, end: int | None, field: int | None, counting: str):  # noqa: ANN202
    from junkan.charts.catalog import ChartParams

    return ChartParams(country=country, lang=lang, start=start, end=end, field=field, counting=counting).validate()


def _connect(store: Path):  # noqa: ANN202
    from junkan.engine import connect
    from junkan.errors import ConfigError

    if not (store / "CURRENT").exists():
        raise ConfigError(f"{store} is not a junkan store. Hint: run `junkan demo` or give --store STORE")
    return connect(store)


@app.command("brief")
def brief(
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help=_STORE_HELP),
    country: str = typer.Option("JP", "--country", "-c", help="Focus country (ISO alpha-2)."),
    lang: str = typer.Option("ja", "--lang", help="Language of titles, labels and takeaways: ja or en."),
    fmt: str = typer.Option(None, "--format", "-f", help="pptx (deck) or html (single-file report); default from -o's suffix."),
    out: Path = typer.Option(None, "--out", "-o", help="Output file (default brief-<country>-<lang>.pptx)."),
    start: int = typer.Option(None, "--start", help="First publication year (default: the store's range or the chart's window)."),
    end: int = typer.Option(None, "--end", help="Last publication year (default: the store's last year)."),
    field: int = typer.Option(None, "--field", help="OpenAlex field id (default: all fields)."),
    counting: str = typer.Option("whole", "--counting", help="whole or fractional (NISTEP, by institution)."),
    chart: list[str] = typer.Option(None, "--chart", help="Only these charts (repeat the option); see `junkan chart --list`."),
) -> None:
    """The briefing for one country: title slide, one finding per slide (chart, takeaway, source), method notes
    and the run manifest, as a 16:9 PPTX deck or a single-file HTML report."""
    from junkan.errors import ConfigError
    from junkan.reports.brief import build_briefing, write_deck
    from junkan.reports.html import write_html

    def go() -> None:
        f = fmt or (out.suffix.lstrip(".").lower() if out is not None and out.suffix else "pptx")
        if f not in ("pptx", "html"):
            raise ConfigError(f"--format {f!r}: choose pptx or html")
        params = _params(country, lang, start, end, field, counting)
        path = out or Path(f"brief-{params.country}-{params.lang}.{f}")
        eng = _connect(store)
        with progress_bar(f"brief {params.country} {params.lang}") as update:
            b = build_briefing(eng, params, charts=chart or None, png=f == "pptx", progress=update)
        written = write_deck(b, path) if f == "pptx" else write_html(b, path)
        drawn = [i for i in b.items if i.result is not None]
        for i in drawn:
            console.print(f"  [bold]{i.result.title}[/]: {i.result.takeaway}", highlight=False)
        for i in b.items:
            if i.result is None:
                console.print(f"  [yellow]not drawn[/] {i.chart.id}: {i.unavailable}", highlight=False)
        console.print(f"wrote {written} ({len(drawn)} charts)")

    run_guarded(go)


@app.command("chart")
def chart_cmd(
    chart_id: str = typer.Argument(None, help="Chart id (see --list)."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help=_STORE_HELP),
    country: str = typer.Option("JP", "--country", "-c", help="Focus country (ISO alpha-2)."),
    lang: str = typer.Option("ja", "--lang", help="ja or en."),
    start: int = typer.Option(None, "--start", help="First publication year."),
    end: int = typer.Option(None, "--end", help="Last publication year."),
    field: int = typer.Option(None, "--field", help="OpenAlex field id."),
    counting: str = typer.Option("whole", "--counting", help="whole or fractional."),
    fmt: str = typer.Option(None, "--format", "-f", help="png, svg, vl.json (Vega-Lite spec), or a table format: csv, parquet, json, xlsx."),
    out: Path = typer.Option(None, "--out", "-o", help="Output file (format from its suffix when --format is not given)."),
    list_: bool = typer.Option(False, "--list", help="List the charts of the catalog."),
) -> None:
    """One chart of the catalog: its image (PNG/SVG), its Vega-Lite spec or its data table with provenance."""
    from junkan.charts.catalog import CATALOG, render, to_png, to_svg
    from junkan.errors import ConfigError
    from junkan.export import write_table

    def go() -> None:
        if list_ or not chart_id:
            for d in CATALOG.values():
                console.print(f"{d.id:32} {d.page:14} {d.briefing_page or '':7} {d.title['en']} / {d.title['ja']}", highlight=False)
            return
        params = _params(country, lang, start, end, field, counting)
        res = render(chart_id, _connect(store), params)
        f = fmt or ("vl.json" if out is not None and out.name.endswith(".vl.json") else
                    out.suffix.lstrip(".").lower() if out is not None and out.suffix else None)
        console.print(f"[bold]{res.title}[/]: {res.takeaway}", highlight=False)
        console.print(res.caption, highlight=False)
        if f is None:
            return
        path = out or Path(f"{chart_id}-{params.country}-{params.lang}.{f}")
        if f == "png":
            path.write_bytes(to_png(res.spec))
        elif f == "svg":
            path.write_text(to_svg(res.spec), encoding="utf-8")
        elif f == "vl.json":
            path.write_text(json.dumps(res.spec, ensure_ascii=False, indent=1), encoding="utf-8")
        elif f in ("csv", "parquet", "json", "xlsx"):
            write_table(res.table, path, f, res.provenance)
        else:
            raise ConfigError(f"--format {f!r}: choose png, svg, vl.json, csv, parquet, json or xlsx")
        console.print(f"wrote {path}")

    run_guarded(go)


@stats_app.command("import")
def stats_import(
    file: Path = typer.Argument(..., help="CSV, TSV or .xlsx file in long form (country, year, [series,] value)."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help=_STORE_HELP),
    title: str = typer.Option(..., "--title", help="Title of the table (shown on the chart)."),
    unit: str = typer.Option(..., "--unit", help="Unit of the values (e.g. 'researchers', 'JPY 10,000')."),
    source: str = typer.Option(..., "--source", help="Source (publisher, table, year)."),
    licence: str = typer.Option(..., "--licence", "--license", help="Licence or terms of use (e.g. 'CC BY 4.0', 'PDL 1.0')."),
    dataset: str = typer.Option(None, "--dataset", help="Dataset name (default: the file name)."),
    country_col: str = typer.Option("country", "--country-col", help="Column with ISO alpha-2 codes (absent: --country for every row)."),
    year_col: str = typer.Option("year", "--year-col", help="Column with the year."),
    value_col: str = typer.Option("value", "--value-col", help="Column with the value."),
    series_col: str = typer.Option("series", "--series-col", help="Column naming the series (optional)."),
    country: str = typer.Option("JP", "--country", help="Country of every row when the file has no country column."),
    sheet: str = typer.Option(None, "--sheet", help="Excel sheet (default: the first)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first bad row instead of rejecting it."),
) -> None:
    """Import a table of official statistics with its metadata into STORE/statistics (bad rows are rejected
    with file, line, field and reason; read = kept + rejected)."""
    from junkan.errors import ConfigError
    from junkan.reports.statistics import import_statistics

    def go() -> None:
        if not store.is_dir():
            raise ConfigError(f"store folder {store} not found. Hint: give --store STORE")
        res = import_statistics(file, store, title=title, unit=unit, source=source, licence=licence, dataset=dataset,
                                country_col=country_col, year_col=year_col, value_col=value_col, series_col=series_col,
                                country=country, sheet=sheet, strict=strict)
        c = res.metadata["counts"]
        console.print(f"dataset [bold]{res.dataset}[/]: read {c['read']} = kept {c['kept']} + rejected {c['rejected']} → {res.path}",
                      highlight=False)
        for r in res.rejected.slice(0, 10).to_pylist():
            console.print(f"  rejected {r['file']}, line {r['line']}, field {r['field']!r}: {r['reason']}", highlight=False)
        if res.rejected.num_rows > 10:
            console.print(f"  … {res.rejected.num_rows - 10} more in {res.path.with_name(res.dataset + '.rejected.parquet')}")

    run_guarded(go)


@stats_app.command("list")
def stats_list(store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help=_STORE_HELP)) -> None:
    """The statistics datasets of a store (and the shipped MPIDR aggregates)."""
    from junkan.cli.commands import print_table
    from junkan.reports.statistics import list_statistics

    run_guarded(lambda: print_table(list_statistics(store), title="Official statistics / 公的統計"))


@stats_app.command("show")
def stats_show(
    dataset: str = typer.Argument(..., help="Dataset name (see `junkan stats list`); mpidr is shipped."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help=_STORE_HELP),
    country: str = typer.Option(None, "--country", "-c", help="Only this country."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, parquet, json or xlsx."),
    out: Path = typer.Option(None, "--out", "-o", help="Output file for csv/parquet/json/xlsx."),
) -> None:
    """One statistics dataset with its metadata (title, unit, source, licence)."""
    import pyarrow.compute as pc

    from junkan.cli.commands import print_table
    from junkan.errors import ConfigError
    from junkan.export import write_table
    from junkan.reports.statistics import load_statistics, metadata_of

    def go() -> None:
        t = load_statistics(store, dataset)
        meta = metadata_of(t)
        if country:
            t = t.filter(pc.equal(t["country"], country.upper()))
        if fmt == "table":
            print_table(t.select(["country", "year", "series", "value"]), title=meta.get("title"),
                        caption=f"{meta.get('unit')} · {meta.get('source')} · {meta.get('licence')}")
            return
        if out is None:
            raise ConfigError(f"--format {fmt} needs -o FILE")
        console.print(f"wrote {write_table(t, out, fmt, meta)}")

    run_guarded(go)
