"""Populations: any set of works or authors for which every mobility indicator can be computed.

A population is two optional Ibis tables passed to :func:`~junkan.mobility.trajectories`:

* ``works`` (a ``work_id`` column): only these papers are evidence — e.g. a field, a subfield, a venue;
* ``authors`` (an ``author_id`` column): only these authors — e.g. an institution's authors, a fellowship cohort,
  ORCID holders, or any Ibis filter the user writes.

The helpers below build the common ones; any other table with the right column works the same way.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators.base import StoreTables, parse_fields

__all__ = ["read_author_list", "select_authors", "select_works"]

_AUTHOR_RE = re.compile(r"A\d+$")
_ORCID_RE = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def select_works(
    t: StoreTables, *, field: Any = None, subfield: Any = None, sources: Sequence[str] | None = None
) -> ir.Table | None:
    """``work_id`` of the works in the OpenAlex ``field`` / ``subfield`` ids and/or ``sources`` (venue ids)."""
    f, sf = parse_fields(field), parse_fields(subfield)
    if not (f or sf or sources):
        return None
    w = t.works
    if f:
        w = w.filter(w.field_id.isin(list(f)))
    if sf:
        w = w.filter(w.subfield_id.isin(list(sf)))
    if sources:
        w = w.filter(w.source_id.isin([str(s) for s in sources]))
    return w.select("work_id")


def read_author_list(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """Author ids and ORCID iDs from a CSV (columns ``author_id``/``openalex_author_id`` and/or ``orcid``) or from a
    text file with one id per line. URL prefixes are stripped."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"author list {p} not found")
    ids: list[str] = []
    orcids: list[str] = []

    def add(v: str) -> None:
        v = v.strip().rsplit("/", 1)[-1]
        if _AUTHOR_RE.match(v):
            ids.append(v)
        elif _ORCID_RE.match(v):
            orcids.append(v)

    text = p.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    if "," in first or first.strip().lower() in ("author_id", "openalex_author_id", "orcid"):
        for r in csv.DictReader(text.splitlines()):
            for col in ("author_id", "openalex_author_id", "orcid"):
                if r.get(col):
                    add(r[col])
    else:
        for line in text.splitlines():
            if line.strip():
                add(line)
    if not ids and not orcids:
        raise ConfigError(f"{p}: no OpenAlex author ids (A…) or ORCID iDs found")
    return sorted(set(ids)), sorted(set(orcids))


def select_authors(
    t: StoreTables,
    *,
    institutions: Sequence[str] | None = None,
    author_ids: Sequence[str] | None = None,
    orcids: Sequence[str] | None = None,
    author_list: str | os.PathLike[str] | None = None,
) -> ir.Table | None:
    """``author_id`` of the authors matching any of the given criteria (union).

    ``institutions``: authors with ≥ 1 authorship at one of these institution ids (ever); ``author_ids``/``orcids``:
    explicit lists; ``author_list``: a cohort file (see :func:`read_author_list`).
    """
    ids = list(author_ids or [])
    orc = list(orcids or [])
    if author_list is not None:
        i2, o2 = read_author_list(author_list)
        ids += i2
        orc += o2
    parts: list[ir.Table] = []
    a = t.authorships.filter(t.authorships.author_id.notnull())
    if ids:
        parts.append(ibis.memtable({"author_id": sorted(set(ids))}).select(author_id=ibis._.author_id.cast("string")))
    if orc:
        parts.append(a.filter(a.orcid.isin(sorted(set(orc)))).select("author_id"))
    if institutions:
        ai = t.authorship_institutions.filter(t.authorship_institutions.institution_id.isin([str(i) for i in institutions]))
        parts.append(a.join(ai, ["work_id", "author_position"]).select("author_id"))
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out.distinct()
