"""Published reference layer: the MPIDR Scholarly Migration Database next to junkan's own figures.

Source: Akbaritabar, Theile & Zagheni (2023), *Global flows and rates of international migration of scholars*,
MPIDR WP-2023-018, doi:10.4054/MPIDR-WP-2023-018; data doi:10.5281/zenodo.11145735 (CC BY 4.0). Their method: an
author's country in a year is the modal country of that year's papers, a migration is a change of modal country
between observed years, and the *padded population* counts an author in every year between first and last
publication — the same construction as :func:`~junkan.mobility.rates` with ``trajectories=`` (``*_padded`` columns).

By default the reduced tables shipped in ``junkan/data/mpidr`` are read (rates and padded populations by country and
year, 1998–2020; Scopus bilateral flows summed over 2008–2018). ``path`` may instead point to a folder with the
original files (``scopus_2024_V1_scholarlymigration_country_enriched.csv``,
``openalex_2024_V1_scholarlymigration_country_enriched.csv``), which also carry the migration counts. CSV files are
read with the ``csv`` module: "NA" is Namibia, never a missing value.
"""

from __future__ import annotations

import csv
import io
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from junkan.errors import ConfigError

__all__ = ["CITATION", "DATABASES", "compare_rates", "mpidr_flows", "mpidr_rates"]

CITATION = (
    "MPIDR Scholarly Migration Database (CC BY 4.0): Akbaritabar, Theile & Zagheni (2023), "
    "doi:10.4054/MPIDR-WP-2023-018; data doi:10.5281/zenodo.11145735"
)
DATABASES = ("scopus", "openalex")

_SCHEMA = pa.schema([
    ("country", pa.string()), ("year", pa.int64()), ("database", pa.string()),
    ("padded_population", pa.float64()), ("inflows", pa.float64()), ("outflows", pa.float64()),
    ("inflow_rate", pa.float64()), ("outflow_rate", pa.float64()), ("net_rate", pa.float64()),
    ("counts", pa.string()), ("source", pa.string()),
])


def _num(v: str) -> float | None:
    v = (v or "").strip()
    if v == "" or v.lower() == "nan":
        return None
    return float(v)


def _package_text(name: str) -> str:
    return resources.files("junkan").joinpath("data", "mpidr", name).read_text(encoding="utf-8")


def mpidr_rates(*, database: str = "openalex", path: str | os.PathLike[str] | None = None) -> pa.Table:
    """MPIDR country-year rates: ``country, year, database, padded_population, inflows, outflows, inflow_rate,
    outflow_rate, net_rate, counts, source``.

    ``counts`` is ``"published"`` when the migration counts come from the original files (``path``) and
    ``"rate × population"`` when they are reconstructed from the reduced package tables.
    """
    if database not in DATABASES:
        raise ConfigError(f"database {database!r}: choose one of {', '.join(DATABASES)}")
    rows: list[dict[str, Any]] = []
    if path is None:
        reader = csv.DictReader(io.StringIO(_package_text("country_year.csv")))
        pre = f"{database}_"
        for r in reader:
            pop, out_r, in_r = _num(r[pre + "pop"]), _num(r[pre + "out_rate"]), _num(r[pre + "in_rate"])
            if pop is None:
                continue
            rows.append(dict(
                country=r["iso2"], year=int(r["year"]), database=database, padded_population=pop,
                inflows=None if in_r is None else round(in_r * pop, 6), outflows=None if out_r is None else round(out_r * pop, 6),
                inflow_rate=in_r, outflow_rate=out_r,
                net_rate=None if in_r is None or out_r is None else in_r - out_r,
                counts="rate × population", source=CITATION + " (reduced table shipped with junkan)",
            ))
    else:
        f = Path(path) / f"{database}_2024_V1_scholarlymigration_country_enriched.csv"
        if not f.exists():
            raise ConfigError(f"{f} not found: point path to the MPIDR data_processed folder")
        with open(f, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                code = (r.get("iso2code") or "").strip()
                if not code:
                    continue  # unknown country in the source
                pop = _num(r["padded_population_of_researchers"])
                rows.append(dict(
                    country=code, year=int(float(r["year"])), database=database, padded_population=pop,
                    inflows=_num(r["number_of_inmigrations"]), outflows=_num(r["number_of_outmigrations"]),
                    inflow_rate=_num(r["inmigrationrate"]), outflow_rate=_num(r["outmigrationrate"]),
                    net_rate=_num(r["netmigrationrate"]), counts="published", source=f"{CITATION} ({f.name})",
                ))
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


def mpidr_flows(*, path: str | os.PathLike[str] | None = None) -> pa.Table:
    """MPIDR Scopus bilateral flows summed over 2008–2018: ``period, origin, destination, flow, source``.

    ``path`` may name another CSV with the columns ``from_iso2, to_iso2, n_migrations_2008_2018``.
    """
    text = Path(path).read_text(encoding="utf-8") if path is not None else _package_text("bilateral_flows.csv")
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        rows.append(dict(period="2008-2018", origin=r["from_iso2"], destination=r["to_iso2"],
                         flow=int(float(r["n_migrations_2008_2018"])), source=CITATION + " (Scopus)"))
    schema = pa.schema([("period", pa.string()), ("origin", pa.string()), ("destination", pa.string()),
                        ("flow", pa.int64()), ("source", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def compare_rates(own: pa.Table, reference: pa.Table) -> pa.Table:
    """junkan's rates next to the reference, per ``country, year`` present in either table.

    ``own`` is a computed :func:`~junkan.mobility.rates` table (with the ``*_padded`` columns, i.e. computed with
    ``trajectories=``); the MPIDR rates are per padded population, so those are the comparable columns. Columns:
    ``country, year, junkan_padded_population, junkan_inflow_rate, junkan_outflow_rate, junkan_net_rate,
    ref_padded_population, ref_inflow_rate, ref_outflow_rate, ref_net_rate, diff_inflow_rate, diff_outflow_rate,
    ref_database, ref_source``.
    """
    need = {"country", "year", "padded_population", "inflow_rate_padded", "outflow_rate_padded", "net_rate_padded"}
    if not need <= set(own.column_names):
        raise ConfigError("compare_rates needs rates computed with trajectories= (the *_padded columns)")
    mine = {(r["country"], int(r["year"])): r for r in own.select(sorted(need)).to_pylist()}
    ref = {(r["country"], int(r["year"])): r for r in reference.to_pylist()}
    out = []
    for key in sorted(set(mine) | set(ref)):
        m, f = mine.get(key, {}), ref.get(key, {})

        def d(a: Any, b: Any) -> float | None:
            return None if a is None or b is None else a - b

        out.append(dict(
            country=key[0], year=key[1],
            junkan_padded_population=m.get("padded_population"), junkan_inflow_rate=m.get("inflow_rate_padded"),
            junkan_outflow_rate=m.get("outflow_rate_padded"), junkan_net_rate=m.get("net_rate_padded"),
            ref_padded_population=f.get("padded_population"), ref_inflow_rate=f.get("inflow_rate"),
            ref_outflow_rate=f.get("outflow_rate"), ref_net_rate=f.get("net_rate"),
            diff_inflow_rate=d(m.get("inflow_rate_padded"), f.get("inflow_rate")),
            diff_outflow_rate=d(m.get("outflow_rate_padded"), f.get("outflow_rate")),
            ref_database=f.get("database"), ref_source=f.get("source"),
        ))
    schema = pa.schema([
        ("country", pa.string()), ("year", pa.int64()), ("junkan_padded_population", pa.int64()),
        ("junkan_inflow_rate", pa.float64()), ("junkan_outflow_rate", pa.float64()), ("junkan_net_rate", pa.float64()),
        ("ref_padded_population", pa.float64()), ("ref_inflow_rate", pa.float64()), ("ref_outflow_rate", pa.float64()),
        ("ref_net_rate", pa.float64()), ("diff_inflow_rate", pa.float64()), ("diff_outflow_rate", pa.float64()),
        ("ref_database", pa.string()), ("ref_source", pa.string()),
    ])
    return pa.Table.from_pylist(out, schema=schema)
