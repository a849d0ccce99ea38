"""``junkan ingest scopus|wos|openalex-csv`` and ``junkan merge``: bibliographic exports into the store."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import typer

from junkan.cli import app, console, err_console, progress_bar, run_guarded
from junkan.cli.commands import ingest_app, print_table

# source name → (module, reader function, takes an overrides file)
_READERS = {
    "scopus": ("junkan.sources.scopus", "read_scopus", True),
    "wos": ("junkan.sources.wos", "read_wos", True),
    "openalex-csv": ("junkan.sources.openalex_csv", "read_openalex_csv", False),
}

_PRECEDENCE_HELP = "Sources in order of preference for each field, comma-separated (default: openalex,wos,scopus,openalex-csv)."
_REPORT_HELP = "Write the merge report (every record: which work it became and how) to a .csv, .json, .parquet or .xlsx file."


def _precedence(text: str | None) -> tuple[str, ...]:
    from junkan.sources.merge import DEFAULT_PRECEDENCE

    if not text:
        return DEFAULT_PRECEDENCE
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _read(source: str, files: list[Path], overrides: Path | None, update: Any) -> list[Any]:
    from junkan.errors import ConfigError

    module, fn, takes_overrides = _READERS[source]
    try:
        reader = getattr(importlib.import_module(module), fn)
    except (ImportError, AttributeError) as exc:  # the reader is not installed in this build
        raise ConfigError(f"the {source} reader ({module}.{fn}) is not available: {exc}") from exc
    if overrides is not None and not takes_overrides:
        raise ConfigError(f"--overrides applies to Scopus and Web of Science addresses, not to {source}")
    batches = []
    update("read", 0, len(files))
    for i, f in enumerate(files, start=1):
        batches.append(reader(f, overrides=overrides) if takes_overrides else reader(f))
        update("read", i, len(files))
    return batches


def _summary(store: Any, report: Any) -> None:
    if not report.inputs:
        console.print(f"[bold]store[/] {store.root}  version [bold]{store.version}[/]: nothing new "
                      "(every file is already in the store, same checksum)")
        return
    rows = [
        {
            "file": Path(i["path"]).name,
            "source": i["source"],
            "read": i["read"],
            "kept": i["kept"],
            "rejected": i["rejected"],
            "merged_existing": i["merged_with_existing"],
            "new_works": i["new_works"],
        }
        for i in report.inputs
    ]
    print_table(pa.Table.from_pylist(rows), title=f"{store.root} version {store.version}")
    dup = sum(i["duplicate_records"] for i in report.inputs)
    across = sum(i["merged_across_inputs"] for i in report.inputs)
    if dup or across:
        console.print(f"records repeated (same id): {dup:,};  records merged with records of another file: {across:,}")
    console.print(
        f"read {report.read:,} = kept {report.kept:,} + rejected {report.rejected:,};  works {report.works_before:,} → "
        f"{report.works_after:,};  citation links {report.links:,}"
    )
    refs = report.references
    console.print(
        "references of these files matched by doi {:,}, key {:,}, synthetic {:,}".format(
            refs.get("doi", 0), refs.get("key", 0), refs.get("synthetic", 0)
        )
    )
    for w in report.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if report.ambiguous_title_keys:
        err_console.print(f"[yellow]warning:[/] {report.ambiguous_title_keys} title key(s) match works with different "
                          "DOIs; those records were kept as separate works (see the merge report)", highlight=False)
    if report.rejected:
        console.print(f"rejected records, with file, line, field and reason: junkan store quarantine {store.root}")


def _ingest(source: str, files: list[Path], store: Path, overrides: Path | None, report: Path | None,
            precedence: str | None) -> None:
    from junkan.sources.merge import ingest_batches, write_report

    def go() -> None:
        with progress_bar(f"ingest {source}") as update:
            batches = _read(source, files, overrides, update)
            published, rep = ingest_batches(batches, store, precedence=_precedence(precedence), progress=update)
        _summary(published, rep)
        if report is not None and rep.inputs:
            out = write_report(rep, report, provenance=published.provenance)
            console.print(f"merge report: {out}")

    run_guarded(go)


_FILES_HELP = {
    "scopus": "Scopus CSV exports.",
    "wos": "Web of Science exports (plain text or tab-delimited).",
    "openalex-csv": "OpenAlex web CSV exports.",
}


def _register(source: str) -> None:
    takes_overrides = _READERS[source][2]

    def command(
        files: list[Path] = typer.Argument(..., help=_FILES_HELP[source], exists=True, dir_okay=False),
        store: Path = typer.Option(..., "--store", "-s", help="Store folder (created if missing; an existing store takes part in the merge)."),
        overrides: Path = typer.Option(None, "--overrides", help="CSV of address pattern → country corrections." if takes_overrides else "Not used for this source.", exists=True, dir_okay=False, hidden=not takes_overrides),
        report: Path = typer.Option(None, "--report", help=_REPORT_HELP),
        precedence: str = typer.Option(None, "--precedence", help=_PRECEDENCE_HELP),
    ) -> None:
        _ingest(source, files, store, overrides, report, precedence)

    command.__doc__ = (
        f"Read {_FILES_HELP[source][:-1]} and merge them into STORE: duplicates (DOI, then title + year + first "
        "author) become one work with per-field provenance; cited references are matched to works (DOI, then "
        "author/year/source/volume/page, else a synthetic id)."
    )
    ingest_app.command(source)(command)


for _source in _READERS:
    _register(_source)


@app.command("merge")
def merge_cmd(
    store: Path = typer.Argument(..., help="Store folder."),
    report: Path = typer.Option(None, "--report", help=_REPORT_HELP),
    precedence: str = typer.Option(None, "--precedence", help=_PRECEDENCE_HELP),
) -> None:
    """Find duplicates again in STORE (e.g. after `ingest openalex` added works an export already had) and publish the result."""
    from junkan.sources.merge import merge_store, write_report

    def go() -> None:
        with progress_bar("merge") as update:
            published, rep = merge_store(store, precedence=_precedence(precedence), progress=update)
        console.print(f"[bold]store[/] {published.root}  version [bold]{published.version}[/]  works "
                      f"{rep.works_before:,} → {rep.works_after:,};  citation links {rep.links:,}")
        if report is not None:
            console.print(f"merge report: {write_report(rep, report, provenance=published.provenance)}")

    run_guarded(go)
