"""``junkan indicators NAME ...`` and ``junkan mobility NAME ...``: one subcommand per registered output.

Options are generated from each spec (:data:`junkan.indicators.REGISTRY`, :data:`junkan.mobility.REGISTRY`),
so the CLI, the Python API and the dashboard share one list of names, defaults and help texts.
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


def _make_command(spec: Any, run: Any, extra: Any = None) -> Any:
    """A Typer command for ``spec``; ``run(engine, name, **options)`` computes it; ``extra(result, kwargs)``
    handles command-specific options (popped from kwargs before the spec's options are read)."""

    def command(**kwargs: Any) -> None:
        store = kwargs.pop("store")
        backend = kwargs.pop("backend")
        fmt = kwargs.pop("fmt")
        output = kwargs.pop("output")
        extra_values = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("x_")}
        options = {k: v for k, v in kwargs.items() if v is not None}

        def go() -> None:
            from junkan.cli.commands import print_table
            from junkan.engine import connect
            from junkan.errors import ConfigError
            from junkan.export import FORMATS, write_table

            if fmt not in FORMATS:
                raise ConfigError(f"--format must be one of {', '.join(FORMATS)}")
            eng = connect(store, backend=backend)
            res = run(eng, spec.name, **options)
            if extra is not None:
                extra(res, extra_values)
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
    params += list(getattr(extra, "params", []))
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


def _register(app: typer.Typer, name: str, help_text: str, registry: dict[str, Any], run: Any,
              extras: dict[str, Any] | None = None) -> None:
    group = typer.Typer(help=help_text, no_args_is_help=True)
    for spec in registry.values():
        cmd = _make_command(spec, run, (extras or {}).get(spec.name))
        group.command(spec.name, short_help=f"{spec.title} / {spec.title_ja}")(cmd)
    app.add_typer(group, name=name)


def _flows_network(res: Any, values: dict[str, Any]) -> None:
    """``junkan mobility flows --network PATH``: also write the flow network (GEXF, GraphML, VOSviewer JSON, CSV)."""
    path = values.get("x_network")
    if not path:
        return
    from junkan.mobility.network import BRIEFING_CLASSES, flow_network, write_network

    classes = tuple(int(c) for c in values["x_classes"].split(",")) if values.get("x_classes") else BRIEFING_CLASSES
    threshold = int(values["x_threshold"]) if values.get("x_threshold") else None
    net = flow_network(res.table, threshold=threshold, classes=classes, provenance=res.provenance)
    out = write_network(net, path)
    console.print(f"wrote the flow network to {out}")


_P = inspect.Parameter
_flows_network.params = [  # type: ignore[attr-defined]
    _P("x_network", _P.KEYWORD_ONLY, annotation=str, default=typer.Option(
        None, "--network", help="Also write the flow network: .gexf, .graphml, .json (VOSviewer) or .csv.")),
    _P("x_threshold", _P.KEYWORD_ONLY, annotation=str, default=typer.Option(
        None, "--threshold", help="Keep directed flows >= N in the network (default: the smallest class).")),
    _P("x_classes", _P.KEYWORD_ONLY, annotation=str, default=typer.Option(
        None, "--classes", help="Arrow width classes, e.g. 4000,10000,20000,50000 (the briefing's).")),
]


def register_indicators(app: typer.Typer) -> None:
    """Add ``junkan indicators NAME`` and ``junkan mobility NAME`` for every registered output (once)."""
    global _registered
    if _registered:
        return
    from junkan import indicators, mobility

    _register(app, "indicators", "Bibliometric indicators by country (counting methods, Top x%, MNCS, collaboration, "
              "rankings, venues). Every output carries its provenance.", indicators.REGISTRY, indicators.run)
    _register(app, "mobility", "Researcher mobility (OECD classes, rates, bilateral flows, impact by class, "
              "researchers abroad, the published MPIDR reference layer).", mobility.REGISTRY, mobility.run,
              {"flows": _flows_network})
    _registered = True
