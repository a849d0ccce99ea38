"""``junkan indicators NAME ...``: one subcommand per indicator of :data:`junkan.indicators.REGISTRY`.

Options are generated from each indicator's spec, so the CLI, the Python API and (later) the dashboard
share one list of names, defaults and help texts.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import typer

from junkan.cli import console, run_guarded

_registered = False


def _help(opt: Any) -> str:
    text = opt.help + (f" / {opt.help_ja}" if opt.help_ja else "")
    if opt.default is not None and opt.type != "bool":
        shown = ",".join(map(str, opt.default)) if isinstance(opt.default, (tuple, list)) else opt.default
        text += f"  [default: {shown}]"
    if opt.choices and opt.type in ("str", "str_list"):
        text += f"  (choices: {', '.join(opt.choices)})"
    return text


def _make_command(spec: Any) -> Any:
    def command(**kwargs: Any) -> None:
        store = kwargs.pop("store")
        backend = kwargs.pop("backend")
        fmt = kwargs.pop("fmt")
        output = kwargs.pop("output")
        options = {k: v for k, v in kwargs.items() if v is not None}

        def go() -> None:
            from junkan.cli.commands import print_table
            from junkan.engine import connect
            from junkan.errors import ConfigError
            from junkan.export import FORMATS, write_table
            from junkan.indicators import run

            if fmt not in FORMATS:
                raise ConfigError(f"--format must be one of {', '.join(FORMATS)}")
            eng = connect(store, backend=backend)
            res = run(eng, spec.name, **options)
            if fmt == "table":
                prov = res.provenance
                caption = (
                    f"store {prov['store_version']} ({'SIMULATED DATA' if prov.get('simulated') else 'data'}) · "
                    f"profile {prov.get('profile')} · counting {prov.get('counting') or '–'} · "
                    f"country map {prov.get('country_map')} · backend {prov['backend']}"
                )
                print_table(res.table, title=f"{spec.title} / {spec.title_ja}", caption=caption)
                return
            out = Path(output) if output else Path(f"{spec.name}.{fmt}")
            write_table(res.table, out, fmt, res.provenance)
            console.print(f"wrote {res.table.num_rows:,} rows to {out}" + (f" (+ {out}.provenance.json)" if fmt == "csv" else ""))

        run_guarded(go)

    P = inspect.Parameter
    params = [
        P("store", P.KEYWORD_ONLY, annotation=str, default=typer.Option(
            os.environ.get("JUNKAN_STORE", "junkan-demo/store"), "--store", "-s", help="Store folder (or set JUNKAN_STORE).")),
        P("backend", P.KEYWORD_ONLY, annotation=str, default=typer.Option("duckdb", "--backend", help="Engine backend: duckdb or pyspark.")),
        P("fmt", P.KEYWORD_ONLY, annotation=str, default=typer.Option("table", "--format", "-f", help="table, csv, parquet, json or xlsx.")),
        P("output", P.KEYWORD_ONLY, annotation=str, default=typer.Option(None, "--output", "-o", help="Output file (default: NAME.FORMAT).")),
    ]
    for opt in spec.options:
        flag = "--" + opt.name.replace("_", "-")
        if opt.type == "bool":
            default = typer.Option(None, f"{flag}/--no-{opt.name.replace('_', '-')}", help=_help(opt))
            ann: Any = bool
        else:
            default = typer.Option(None, flag, help=_help(opt))
            ann = str
        params.append(P(opt.name, P.KEYWORD_ONLY, annotation=ann, default=default))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__name__ = spec.name
    doc = spec.doc.split("\n\n")[0] if spec.doc else spec.title
    command.__doc__ = f"{spec.title} / {spec.title_ja} (METHODS.md §{spec.section}). {doc}"
    return command


def register_indicators(app: typer.Typer) -> None:
    """Add ``junkan indicators NAME`` for every registered indicator (once)."""
    global _registered
    if _registered:
        return
    from junkan.indicators import REGISTRY

    group = typer.Typer(
        help="Bibliometric indicators by country (counting methods, Top x%, MNCS, collaboration, rankings, venues). "
        "Every output carries its provenance.",
        no_args_is_help=True,
    )
    for spec in REGISTRY.values():
        group.command(spec.name, short_help=f"{spec.title} / {spec.title_ja}")(_make_command(spec))
    app.add_typer(group, name="indicators")
    _registered = True
