"""CLI commands: ingest, store, demo, simulate, indicators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import typer
from rich.table import Table

from junkan.cli import app, console, err_console, progress_bar, run_guarded

ingest_app = typer.Typer(help="Read sources into a store (a new store version is published atomically).", no_args_is_help=True)
store_app = typer.Typer(help="Inspect and maintain a store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(store_app, name="store")


def print_table(table: pa.Table, title: str | None = None, *, max_rows: int = 60, caption: str | None = None) -> None:
    """Print an Arrow table with Rich; columns that do not fit the terminal are named, not squeezed."""
    rows = table.slice(0, max_rows).to_pylist()
    cells = {c: [_fmt(r[c], c) for r in rows] for c in table.column_names}
    widths = {c: min(max([len(c), *(len(v) for v in cells[c])]), 40) + 3 for c in table.column_names}
    budget, shown = console.width - 4, []
    for c in table.column_names:
        if shown and sum(widths[x] for x in shown) + widths[c] > budget:
            break
        shown.append(c)
    t = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for name in shown:
        typ = table.schema.field(name).type
        numeric = pa.types.is_integer(typ) or pa.types.is_floating(typ)
        t.add_column(name, justify="right" if numeric else "left", overflow="ellipsis", no_wrap=True)
    for i in range(len(rows)):
        t.add_row(*[cells[c][i] for c in shown])
    console.print(t)
    hidden = [c for c in table.column_names if c not in shown]
    if hidden:
        console.print(f"(columns not shown for lack of width: {', '.join(hidden)}; use --format csv/xlsx/json -o FILE)")
    if table.num_rows > max_rows:
        console.print(f"… {table.num_rows - max_rows} more rows (use --format csv/parquet/json/xlsx -o FILE for all)")


def _fmt(v: Any, column: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:,.1f}"
    if isinstance(v, int):
        return str(v) if "year" in column or column.endswith("_id") else f"{v:,}"
    return str(v)


def _report_ingest(rep: Any) -> None:
    s = rep.store
    if not rep.inputs and rep.skipped_inputs:
        console.print(f"[bold]store[/] {s.root}  version [bold]{s.version}[/]: nothing new "
                      f"({len(rep.skipped_inputs)} input(s) already ingested, same checksums)")
        return
    console.print(
        f"[bold]store[/] {s.root}  version [bold]{s.version}[/]  read {rep.read:,} = kept {rep.kept:,} + rejected {rep.rejected:,}"
        + (f"  (replaced {rep.replaced:,} older versions)" if rep.replaced else "")
    )
    if rep.skipped_inputs:
        console.print(f"skipped {len(rep.skipped_inputs)} input(s) already in the store (same checksum)")
    for w in rep.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if rep.rejected:
        console.print("rejected by reason: " + ", ".join(f"{k} {v:,}" for k, v in rep.rejected_by_reason.items()))
        for e in rep.first_errors[:5]:
            where = ", ".join(x for x in (e["file"], f"line {e['line']}" if e["line"] else None, f"field {e['field']!r}" if e["field"] else None) if x)
            err_console.print(f"  {where}: {e['reason']}", highlight=False)
        console.print("all rejected records, with their raw text, are in the store's quarantine table "
                      f"(junkan store quarantine {s.root})")


@ingest_app.command("openalex")
def ingest_openalex(
    paths: list[Path] = typer.Argument(..., help="Snapshot folders (data/works/updated_date=…), .jsonl(.gz) files or folders, API pages (.json)."),
    store: Path = typer.Option(..., "--store", "-s", help="Store folder (created if missing)."),
    entity: str = typer.Option(None, "--entity", help="works or authors (default: from the path; 'authors' folders hold author entities)."),
    on_error: str = typer.Option("collect", "--on-error", help="collect: quarantine bad records and go on; skip: same without raw text; raise: stop at the first."),
    threads: int = typer.Option(None, "--threads", help="Cores to use (default: all)."),
    memory_limit: str = typer.Option(None, "--memory-limit", help="DuckDB memory limit such as 4GB (spills to disk beyond it)."),
) -> None:
    """Ingest OpenAlex works or authors into STORE; the latest version of each record wins."""
    from junkan.sources.openalex import ingest

    def go() -> None:
        with progress_bar("ingest") as update:
            rep = ingest(paths, store, entity=entity, on_error=on_error, threads=threads, memory_limit=memory_limit, progress=update)  # type: ignore[arg-type]
        _report_ingest(rep)

    run_guarded(go)


@store_app.command("info")
def store_info(
    store: Path = typer.Argument(..., help="Store folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Show the published version: inputs, row counts, read/kept/rejected."""
    from junkan.store import open_store

    def go() -> None:
        s = open_store(store)
        if as_json:
            console.print_json(json.dumps(s.manifest, default=str))
            return
        m = s.manifest
        console.print(f"[bold]{s.root}[/] version [bold]{s.version}[/] (schema {m['schema_version']}, junkan {m['junkan_version']}, created {m['created']})")
        if m.get("simulated"):
            console.print("[yellow]SIMULATED DATA[/] — a junkan simulated world, not real bibliographic records")
        c = m.get("counts", {})
        console.print(f"last run: read {c.get('read', 0):,} = kept {c.get('kept', 0):,} + rejected {c.get('rejected', 0):,}; replaced {c.get('replaced', 0):,}")
        console.print(f"inputs: {len(m.get('inputs', []))}; content hash {m.get('content_hash', '')[:16]}…")
        rows = pa.table({"table": list(m["tables"]), "rows": [v["rows"] for v in m["tables"].values()]})
        print_table(rows, title="tables")

    run_guarded(go)


@store_app.command("verify")
def store_verify(store: Path = typer.Argument(..., help="Store folder.")) -> None:
    """Check every table file against its checksum in the manifest."""
    from junkan.store import open_store

    def go() -> None:
        s = open_store(store)
        s.verify()
        console.print(f"{s.root} version {s.version}: all {len(s.manifest['tables'])} tables match their checksums")

    run_guarded(go)


@store_app.command("quarantine")
def store_quarantine(
    store: Path = typer.Argument(..., help="Store folder."),
    limit: int = typer.Option(20, "--limit", help="Rows to show."),
) -> None:
    """List rejected records (file, line, field, reason)."""
    from junkan.engine import connect

    def go() -> None:
        eng = connect(store)
        q = eng.table("quarantine")
        t = eng.to_pyarrow(q.select("file", "line", "record_id", "field", "reason").order_by(["file", "line"]).limit(limit))
        print_table(t, title=f"quarantine ({eng.store.row_count('quarantine'):,} rows)")

    run_guarded(go)


@store_app.command("prune")
def store_prune(
    store: Path = typer.Argument(..., help="Store folder."),
    keep: int = typer.Option(2, "--keep", help="Versions to keep (the published one is always kept)."),
) -> None:
    """Delete old store versions."""
    from junkan.store import prune_versions

    def go() -> None:
        removed = prune_versions(store, keep=keep)
        console.print(f"removed {len(removed)} version(s): {', '.join(removed) or '–'}")

    run_guarded(go)


@app.command("simulate")
def simulate_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the world (must be new or empty)."),
    works: int = typer.Option(150_000, "--works", "-n", help="Number of works."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives byte-identical files."),
    start_year: int = typer.Option(2000, "--start-year", help="First publication year."),
    end_year: int = typer.Option(2023, "--end-year", help="Last publication year."),
    workers: int = typer.Option(0, "--workers", help="Processes (0 = all cores); the output does not depend on it."),
    report: bool = typer.Option(False, "--report", help="Also ingest the world into OUT/store and print the calibration report."),
) -> None:
    """Generate a SIMULATED OpenAlex world (snapshot layout) with planted truth; see docs/simulation.md."""
    from junkan.simulate import simulate

    def go() -> None:
        with progress_bar("simulate") as update:
            res = simulate(out, works=works, seed=seed, start_year=start_year, end_year=end_year, workers=workers,
                           progress=lambda d, t: update("works", d, t))
        console.print(
            f"[yellow]SIMULATED[/] world in {res.out_dir}: {res.works:,} works, {res.authors:,} author records, "
            f"{res.references:,} references; ground truth in {res.truth_dir}"
        )
        if report:
            _calibrate(res.out_dir)

    run_guarded(go)


def _calibrate(world: Path) -> Any:
    from junkan.engine import connect
    from junkan.reports.calibration import calibration_report
    from junkan.sources.openalex import ingest

    store = Path(world) / "store"
    with progress_bar("ingest") as update:
        rep = ingest([Path(world) / "data"], store, progress=update)
    _report_ingest(rep)
    from junkan.export import write_table

    eng = connect(store)
    table = calibration_report(eng, world)
    shown = table.select(["country", "year", "target", "measured", "ok", "target_name"])
    print_table(shown, title="Calibration: targets vs junkan's own indicators / 較正",
                caption="sources and tolerances: the csv next to the world (see docs/simulation.md)", max_rows=200)
    prov = {**eng.provenance, "report": "calibration", "targets": str(Path(world) / "truth" / "targets.parquet")}
    for fmt in ("csv", "xlsx"):
        console.print(f"wrote {write_table(table, Path(world) / f'calibration.{fmt}', fmt, prov)}")
    checked = [r for r in table.to_pylist() if r["ok"] is not None]
    console.print(f"{sum(r['ok'] for r in checked)} of {len(checked)} targets with a tolerance are met")
    return table


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("junkan-demo"), "--out", help="Folder for the demo world, store and outputs."),
    data: str = typer.Option("simulated", "--data", help="simulated: the embedded default world (generated once, ~150k works); real: the embedded real OpenAlex records (CC0)."),
    year: int = typer.Option(2022, "--year", help="Publication year of the country table (simulated data)."),
    works: int = typer.Option(None, "--works", help="Size of the simulated world (default: the embedded default world)."),
    top: int = typer.Option(25, "--top", help="Countries to show."),
    country: str = typer.Option("JP", "--country", help="Focus country of the briefing deck and report."),
    brief: bool = typer.Option(True, "--brief/--no-brief", help="Write the briefing decks (ja, en) and HTML reports."),
) -> None:
    """The main job on embedded data: build (or reuse) the store, print the country table (papers, international
    co-authorship share), write the briefing decks brief-ja.pptx / brief-en.pptx and the reports report-ja.html /
    report-en.html, and say how to open the dashboard."""
    from importlib import resources

    from junkan.engine import connect
    from junkan.errors import ConfigError
    from junkan.export import write_table
    from junkan.indicators import run
    from junkan.sources.openalex import ingest

    def go() -> None:
        if data == "real":
            source = [Path(str(resources.files("junkan") / "data" / "openalex-sample"))]
            console.print(f"[bold]junkan demo[/]: the embedded real OpenAlex records (CC0) → {out / 'store'}")
            years, label = None, "real OpenAlex records (CC0), a small sample: not representative"
        elif data == "simulated":
            from junkan.simulate import DEFAULT_WORLD, simulate

            world = out / "world"
            n = works or DEFAULT_WORLD.works
            if not (world / "simulation.json").exists():
                console.print(f"[bold]junkan demo[/]: generating the embedded SIMULATED world ({n:,} works, seed {DEFAULT_WORLD.seed}) in {world}")
                with progress_bar("simulate") as update:
                    simulate(world, works=n, seed=DEFAULT_WORLD.seed, progress=lambda d, t: update("works", d, t))
            elif works and json.loads((world / "simulation.json").read_text(encoding="utf-8")).get("works") not in (None, works):
                raise ConfigError(f"{world} holds a world of another size; choose another --out or remove it")
            source = [world / "data"]
            years, label = f"{year}-{year}", f"SIMULATED world (junkan simulate, seed {DEFAULT_WORLD.seed}): not real data"
        else:
            raise ConfigError("--data must be simulated or real")
        store = out / "store"
        with progress_bar("ingest") as update:
            rep = ingest(source, store, progress=update)
        _report_ingest(rep)
        eng = connect(store)
        opts: dict[str, Any] = {"profile": "all"}
        if years:
            opts["years"] = years
        res = run(eng, "international_coauthorship", **opts)
        table = _country_totals(res.table).slice(0, top)
        prov = {**res.provenance, "aggregation": "sum of p and p_international over the publication years shown"}
        print_table(
            table,
            title="Papers and international co-authorship share by country / 国別論文数と国際共著率"
            + (f" ({year})" if years else ""),
            caption=f"whole counting · all document types · store {prov['store_version']} · {label}",
        )
        for fmt in ("csv", "xlsx"):
            path = write_table(table, out / f"countries.{fmt}", fmt, prov)
            console.print(f"wrote {path}")
        if brief:
            from junkan.charts.catalog import ChartParams
            from junkan.reports.brief import build_briefing, write_deck
            from junkan.reports.html import write_html

            for lang in ("ja", "en"):
                with progress_bar(f"briefing {lang}") as update:
                    b = build_briefing(eng, ChartParams(country=country, lang=lang), progress=update)
                console.print(f"wrote {write_deck(b, out / f'brief-{lang}.pptx')}")
                console.print(f"wrote {write_html(b, out / f'report-{lang}.html')}")
                for i in b.items if lang == "ja" else ():  # the same charts are missing in both languages
                    if i.result is None:
                        console.print(f"  not drawn: {i.chart.id}: {i.unavailable}", highlight=False)
        console.print(f"dashboard: [bold]junkan serve {store}[/] (then open the address it prints)")
        console.print(f"next: [bold]junkan brief --store {store} --country US --lang en[/], "
                      f"[bold]junkan indicators --help[/], [bold]junkan store info {store}[/]")

    run_guarded(go)


def _country_totals(ic: pa.Table) -> pa.Table:
    """Sum the per-year international co-authorship counts over years; the share is recomputed."""
    import pyarrow.compute as pc

    g = ic.group_by("country").aggregate([("p", "sum"), ("p_international", "sum")])
    g = g.rename_columns(["country", "papers", "international_papers"])
    share = pc.divide(pc.cast(g["international_papers"], pa.float64()), pc.cast(g["papers"], pa.float64()))
    g = g.append_column("international_share", share)
    world = pc.equal(g["country"], "WLD")
    ordered = pa.concat_tables([g.filter(world), g.filter(pc.invert(world)).sort_by([("papers", "descending"), ("country", "ascending")])])
    return ordered
