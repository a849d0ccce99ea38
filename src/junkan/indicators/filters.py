"""Coverage of the optional document-set filters, for the provenance of a result (nothing runs when they are off).

* ``min_pages`` (:mod:`junkan.indicators.pages`): of the document set before the page filter (all years and
  fields of the options), ``n_works``, ``n_dropped`` (fewer than ``min_pages`` numeric pages) and
  ``n_kept_unknown`` (no page count: kept).
* ``country_blocklist`` (:mod:`junkan.indicators.blocklist`): the files (path, SHA-256, read/kept/rejected lines),
  and ``units_removed`` / ``works_affected``: affiliation units of the store the rows remove, and their works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from junkan.indicators.base import StoreTables, affiliation_units
from junkan.indicators.blocklist import blocked_units
from junkan.indicators.pages import page_filter_counts

if TYPE_CHECKING:
    from junkan.engine import Engine
    from junkan.indicators._scope import Scope

__all__ = ["filter_coverage"]


def filter_coverage(engine: Engine, scope: Scope) -> dict[str, Any]:
    """``{"pages": {...}, "country_blocklist": {...}}`` for the filters ``scope`` turns on (empty when none)."""
    out: dict[str, Any] = {}
    if not scope.min_pages and scope.country_blocklist is None:
        return out
    t = StoreTables.from_engine(engine)
    if scope.min_pages:
        row = engine.to_pyarrow(page_filter_counts(scope._docset(t), t.work_biblio, scope.min_pages)).to_pylist()[0]
        out["pages"] = {"min_pages": scope.min_pages, **{k: int(v or 0) for k, v in row.items()}}
    bl = scope.country_blocklist
    if bl is not None:
        prov = bl.provenance()
        if bl.rows:
            units = affiliation_units(t, country_map=scope.country_map, works=bl.table().select("work_id"))
            b = blocked_units(units, t, bl, scope.country_map)
            r = engine.to_pyarrow(b.aggregate(units_removed=b.count(), works_affected=b.work_id.nunique())).to_pylist()[0]
            prov.update({k: int(v or 0) for k, v in r.items()})
        else:
            prov.update(units_removed=0, works_affected=0)
        out["country_blocklist"] = prov
    return out
