"""``junkan cohort evaluate`` and ``junkan programs evaluate``: programme evaluation (docs/cohort.md, docs/programs.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import typer

from junkan.cli import app, console, err_console, run_guarded

#: fewer members than this in the DiD get a note on interval coverage (docs/cohort.md §5b, "Cohort size")
SMALL_DID = 60

cohort_app = typer.Typer(help="Evaluate a cohort of fellows before, during and after, against the national average "
                         "and matched controls (METHODS.md §7).", no_args_is_help=True)
programs_app = typer.Typer(help="Evaluate funding programmes as populations of papers (funders, awards, institutions).",
                           no_args_is_help=True)
app.add_typer(cohort_app, name="cohort")
app.add_typer(programs_app, name="programs")


@cohort_app.command("evaluate")
def cohort_evaluate(
    cohort_file: Path = typer.Argument(..., help="Cohort file (CSV, TSV or Excel): person id, ORCID and/or OpenAlex author id, name, program, start, end, host institution, host country, field."),
    store: Path = typer.Option(Path("junkan-demo/store"), "--store", "-s", help="Store folder."),
    country: str = typer.Option("JP", "--country", help="Home country of the cohort (national average, controls)."),
    controls: int = typer.Option(3, "--controls", help="Matched controls per member (nearest neighbours)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap replicates for the DiD interval."),
    ci: float = typer.Option(0.9, "--ci", help="Confidence level of the DiD interval."),
    comparison_country: str = typer.Option("US", "--comparison-country", help="Second national average for the hosts' papers (the briefing compares hosts with the US and Japan)."),
    phase_ci: float = typer.Option(0.95, "--phase-ci", help="Confidence level of the paper-bootstrap intervals of the by-phase and by-year shares (METHODS §7.2)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for every table (CSV and Excel, with provenance)."),
    exclude_cohort: list[Path] = typer.Option(None, "--exclude-cohort", help="Cohort file whose members are never controls (repeatable), e.g. other programmes."),
    resample: str = typer.Option("component", "--resample", help="Bootstrap unit: component (members sharing controls resampled together) or member."),
    panel: str = typer.Option("all", "--panel", help="Who enters the DiD: all (default) or balanced (only members and controls with papers both before and after; controls matched among such researchers); docs/cohort.md §4."),
    match_country: str = typer.Option("home", "--match-country", help="Country a control shares with its member: home (default; modal country of the first three publication years) or base (also the country of the latest papers before the start); docs/cohort.md §4."),
    interval: str = typer.Option("expanded", "--interval", help="DiD interval: expanded (default; percentile interval widened for few clusters, Hesterberg 2015), percentile, studentized (bootstrap-t with the cluster-robust SE) or jackknife (delete-one-cluster SE with t quantiles); docs/cohort.md §4 and §5b."),
) -> None:
    """Resolve the members, compute papers, Top10% share, MNCS and international share by phase, and the DiD."""
    from junkan.cli.commands import print_table
    from junkan.cohort import evaluate, read_cohort
    from junkan.engine import connect
    from junkan.export import write_table

    def go() -> None:
        cohort = read_cohort(cohort_file)
        for p in cohort.problems[:10]:
            where = ", ".join(x for x in (p.file, f"line {p.line}" if p.line else None, f"field {p.field!r}" if p.field else None) if x)
            err_console.print(f"[yellow]problem:[/] {where}: {p.message}", highlight=False)
        if cohort.problems:
            err_console.print(f"{len(cohort.problems)} problem(s) in the cohort file; those rows are left out")
        excl = [read_cohort(p) for p in (exclude_cohort or [])]
        res = evaluate(connect(store), cohort, country=country, controls=controls, bootstrap=bootstrap, ci=ci, phase_ci=phase_ci, seed=seed,
                       exclude_controls=excl or None, resample=resample, interval=interval, panel=panel,
                       match_country=match_country, comparison_country=comparison_country)
        m = res.members
        if "status" in m.column_names:
            counts = {k: v for k, v in zip(*[c.to_pylist() for c in pc.value_counts(m["status"]).flatten()], strict=True)}
            console.print("members: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                          + f"; in the DiD ({panel} panel, ≥ 1 control): {res.provenance['members_in_did']}")
        n_did = res.provenance["members_in_did"]
        if 0 < n_did < SMALL_DID:
            err_console.print(f"[yellow]note:[/] {n_did} members in the DiD (< {SMALL_DID}): in the coverage study, "
                              "90% intervals with ~40 members covered the truth 88.8% of the time (90.0% with ~70); "
                              "smaller cohorts get less reliable intervals (docs/cohort.md §5b)", highlight=False)
        bp, did = res.by_phase, res.did
        print_table(bp.select([c for c in ("phase", "n", "top_share", "national_top_share", "intl_share",
                                           "intl_share_others", "national_intl_share", "abroad_share") if c in bp.column_names]),
                    title="By phase / 期間別 (before, during, after)")
        hp = res.hosts_by_phase
        if hp is not None and hp.num_rows:
            print_table(hp.select([c for c in ("phase", "hosts", "n", "top_share", "national_top_share",
                                               "comparison_top_share", "intl_share", "national_intl_share",
                                               "comparison_intl_share") if c in hp.column_names]),
                        title=f"Host institutions by phase / 受入機関 (vs {country} and {comparison_country.upper()})")
        print_table(did.select([c for c in ("metric", "members", "clusters", "did", "se", "ci_low", "ci_high")
                                if c in did.column_names]),
                    title=f"Difference in differences vs matched controls ({ci:.0%} {interval} bootstrap CI) / 差の差")
        if not out:
            console.print("all tables and columns: --out FOLDER")
        if out:
            for name, table in res.tables().items():
                for fmt in ("csv", "xlsx"):
                    write_table(table, out / f"{name}.{fmt}", fmt, res.provenance)
            console.print(f"wrote {len(res.tables())} tables to {out}")

    run_guarded(go)


@programs_app.command("evaluate")
def programs_evaluate(
    programs_file: Path = typer.Argument(None, help="Program definitions (YAML). Default: the shipped, editable examples of the MEXT briefing."),
    store: Path = typer.Option(Path("junkan-demo/store"), "--store", "-s", help="Store folder."),
    country: str = typer.Option("JP", "--country", help="Country of the programmes (national average, controls)."),
    years: str = typer.Option(None, "--years", help="Publication years, e.g. 2010-2020."),
    bootstrap: int = typer.Option(500, "--bootstrap", help="Bootstrap replicates."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for indicators.csv, papers.csv, partners.csv, provenance.json."),
    cluster: str = typer.Option("work", "--cluster", help="Bootstrap resampling unit: work, award, author or institution."),
) -> None:
    """Papers, Top10%/Top1% share, MNCS and internationality of each programme, against the national average and
    matched non-programme papers."""
    from junkan.cli.commands import print_table
    from junkan.engine import connect
    from junkan.programs import evaluate, example_programs_path

    def go() -> None:
        path = programs_file or example_programs_path()
        if programs_file is None:
            console.print(f"using the shipped example definitions (editable): {path}")
        res = evaluate(connect(store), path, country=country, years=years, bootstrap=bootstrap, seed=seed,
                       cluster=cluster)
        t = res.table
        if "year" in t.column_names:
            t = t.filter(pc.is_null(t["year"]))
        cols = [c for c in ("program_id", "metric", "value", "diff_matched", "diff_matched_lo",
                            "diff_matched_hi") if c in t.column_names]
        print_table(t.select(cols), title="Programmes, all years: value, national average, difference from matched "
                    "non-programme papers (CI) / プログラム別の指標", max_rows=80)
        if not out:
            console.print("per year, partner countries and every column: --out FOLDER")
        if out:
            console.print(f"wrote {res.write(out)}")

    run_guarded(go)
