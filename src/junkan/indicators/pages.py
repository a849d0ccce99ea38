"""The page-count filter of the document set (METHODS §0.2 edge cases, §8.1 step 2).

A work's page count is ``last_page − first_page + 1`` from ``work_biblio`` when **both** pages are plain decimal
numbers (``"5"``–``"12"`` → 8 pages) and the last is not before the first. Anything else (an article number such as
``"e123"``, Roman numerals, a missing last page, ``"1234"``–``"56"``) has no page count, and such works are **kept**:
the filter only removes works that are demonstrably shorter than ``min_pages``. Everything is one Ibis expression
(a regular-expression test, a cast and an anti-join), so it runs on DuckDB and PySpark alike.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError

__all__ = ["apply_min_pages", "page_counts", "page_filter_counts", "parse_min_pages"]

# plain decimal page numbers (at most 9 digits, so the cast cannot overflow), spaces around allowed; no .strip(): Ibis
# renders it for Spark as TRIM(' \t\n\r\v\f' FROM …), and Spark SQL reads \v and \f as the letters v and f
_NUMBER = r"^ *[0-9]{1,9} *$"


def parse_min_pages(value: Any) -> int | None:
    """``None``/``0``/``""`` → off; a positive integer (or its string) → that many pages; else :class:`ConfigError`."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        n = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"min_pages {value!r}: expected a number of pages such as 3 (0 = no page filter)") from None
    if n < 0:
        raise ConfigError(f"min_pages {n}: must be ≥ 0 (0 = no page filter)")
    return n or None


def page_counts(biblio: ir.Table) -> ir.Table:
    """``work_id, pages`` for the works of ``work_biblio`` whose first and last pages are both numeric and ordered."""
    b = biblio.filter(biblio.first_page.re_search(_NUMBER), biblio.last_page.re_search(_NUMBER))
    b = b.select("work_id", first=b.first_page.re_extract("[0-9]+", 0).try_cast("int64"),
                 last=b.last_page.re_extract("[0-9]+", 0).try_cast("int64"))
    b = b.filter(b.last >= b.first)
    return b.select("work_id", pages=b.last - b.first + 1)


def _short(biblio: ir.Table, min_pages: int) -> ir.Table:
    pc = page_counts(biblio)
    return pc.filter(pc.pages < min_pages).select("work_id")


def apply_min_pages(works: ir.Table, biblio: ir.Table | None, min_pages: int | None) -> ir.Table:
    """``works`` without those having fewer than ``min_pages`` pages (works without a page count are kept)."""
    if not min_pages:
        return works
    if biblio is None:
        raise ConfigError("min_pages needs the store's work_biblio table. Hint: use StoreTables.from_engine(engine)")
    return works.anti_join(_short(biblio, min_pages), "work_id")


def page_filter_counts(works: ir.Table, biblio: ir.Table, min_pages: int) -> ir.Table:
    """One row ``n_works, n_dropped, n_kept_unknown``: of ``works`` (the document set before the page filter), how
    many the filter drops and how many it keeps because they have no page count (coverage for the provenance)."""
    pc = page_counts(biblio)
    w = works.select("work_id").distinct()
    j = w.left_join(pc, w.work_id == pc.work_id)
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    return j.aggregate(
        n_works=j.count(),
        n_dropped=ibis.cases((j.pages < min_pages, one), else_=zero).sum(),
        n_kept_unknown=ibis.cases((j.pages.isnull(), one), else_=zero).sum(),
    )
