"""Which works belong to which program: Ibis expressions over the store tables (no Python loops over rows)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from junkan.programs._definitions import FunderSelector, InstitutionSelector, Program

__all__ = ["institution_closure", "program_works", "partner_table"]


def _any(conds: list[ir.BooleanValue]) -> ir.BooleanValue:
    out = conds[0]
    for c in conds[1:]:
        out = out | c
    return out


def _funder_cond(tbl: ir.Table, funders: tuple[FunderSelector, ...]) -> ir.BooleanValue | None:
    if not funders:
        return None
    conds: list[ir.BooleanValue] = []
    ids = [f.id for f in funders if f.id]
    if ids:
        conds.append(tbl.funder_id.isin(ids))
    for f in funders:
        if f.name:
            conds.append(tbl.funder_name.fill_null("").re_search("(?i)" + f.name))
    return _any(conds)


def _award_cond(tbl: ir.Table, patterns: tuple[str, ...]) -> ir.BooleanValue:
    return _any([tbl.funder_award_id.fill_null("").re_search(p) for p in patterns])


def _years_cond(year: ir.IntegerValue, years: tuple[int | None, int | None]) -> ir.BooleanValue:
    lo, hi = years
    c = ibis.literal(True)
    if lo is not None:
        c = c & (year >= lo)
    if hi is not None:
        c = c & (year <= hi)
    return c


def _acknowledging(wf: ir.Table, wa: ir.Table, funders: tuple[FunderSelector, ...],
                   awards: tuple[str, ...]) -> ir.Table | None:
    """Works acknowledging one of ``funders`` (any award) or, with ``awards``, an award whose funder_award_id
    matches one of the patterns (and whose funder matches ``funders`` when given)."""
    if awards:
        cond = _award_cond(wa, awards)
        fc = _funder_cond(wa, funders)
        if fc is not None:
            cond = cond & fc
        return wa.filter(cond).select("work_id")
    fc = _funder_cond(wf, funders)
    return wf.filter(fc).select("work_id") if fc is not None else None


def _selector_cond(tbl: ir.Table, s: InstitutionSelector) -> ir.BooleanValue:
    if s.id:
        return tbl.institution_id == s.id
    if s.ror:
        return tbl.ror.lower() == s.ror
    return tbl.display_name.fill_null("").re_search("(?i)" + str(s.name))


def institution_closure(inst: ir.Table, sels: tuple[InstitutionSelector, ...]) -> ir.Table:
    """``sel, institution_id``: for each selector (its index ``sel``), the institutions it matches and, when
    ``children`` is set, every institution whose ``lineage`` (itself and its parents) contains a matched one."""
    parts: list[ir.Table] = []
    anc = inst.select("institution_id", anc=inst.lineage.unnest())
    anc = anc.filter(anc.anc.notnull())
    for i, s in enumerate(sels):
        hit = inst.filter(_selector_cond(inst, s)).select("institution_id")
        parts.append(hit.mutate(sel=ibis.literal(i, "int64")))
        if s.children:
            kids = anc.join(hit.select(anc="institution_id"), "anc").select("institution_id")
            parts.append(kids.mutate(sel=ibis.literal(i, "int64")))
    u = parts[0]
    for x in parts[1:]:
        u = u.union(x)
    return u.distinct().select("sel", "institution_id")


def _institution_works(ai: ir.Table, inst: ir.Table, docset: ir.Table,
                       sels: tuple[InstitutionSelector, ...]) -> ir.Table:
    """Works with an authorship affiliated with an institution of a selector (children via ``lineage``
    included unless ``children: false``), published in that selector's ``years``."""
    hits = institution_closure(inst, sels)
    j = ai.select("work_id", "institution_id").join(hits, "institution_id")
    j = j.join(docset.select("work_id", "publication_year"), "work_id")
    yrs = ibis.memtable(pa.table({
        "sel": pa.array(range(len(sels)), pa.int64()),
        "y_lo": pa.array([s.years[0] for s in sels], pa.int64()),
        "y_hi": pa.array([s.years[1] for s in sels], pa.int64()),
    }))
    j = j.join(yrs, "sel")
    ok = (j.y_lo.isnull() | (j.publication_year >= j.y_lo)) & (j.y_hi.isnull() | (j.publication_year <= j.y_hi))
    return j.filter(ok).select("work_id")


def program_works(
    p: Program,
    *,
    docset: ir.Table,
    work_funders: ir.Table,
    work_awards: ir.Table,
    authorship_institutions: ir.Table,
    institutions: ir.Table,
    work_countries: ir.Table,
) -> ir.Table:
    """``program_id, work_id`` (distinct) for the document-set works of program ``p`` (docs/programs.md)."""
    parts: list[ir.Table] = []
    years = docset.select("work_id", "publication_year")
    ack = _acknowledging(work_funders, work_awards, p.funders, p.awards)
    if p.projects:
        for pr in p.projects:
            base = _acknowledging(work_funders, work_awards, p.funders, pr.awards) if pr.awards else ack
            assert base is not None  # validated: a project without awards needs program funders/awards
            w = base.join(years, "work_id")
            w = w.filter(_years_cond(w.publication_year, pr.years)).select("work_id")
            if not pr.awards and pr.partner_countries:
                wc = work_countries.filter(work_countries.country.isin(list(pr.partner_countries)))
                w = w.semi_join(wc, "work_id")
            parts.append(w)
    elif ack is not None:
        parts.append(ack)
    if p.institutions:
        parts.append(_institution_works(authorship_institutions, institutions, docset, p.institutions))
    u = parts[0]
    for x in parts[1:]:
        u = u.union(x)
    u = u.distinct().join(years, "work_id")
    u = u.filter(_years_cond(u.publication_year, p.years))
    return u.select(program_id=ibis.literal(p.id), work_id=u.work_id)


def partner_table(programs: list[Program]) -> ir.Table:
    """``program_id, country`` of every declared partner country (an in-memory table)."""
    rows = [(p.id, c) for p in programs for c in p.declared_partners]
    return ibis.memtable(pa.table({"program_id": pa.array([r[0] for r in rows], pa.string()),
                                   "country": pa.array([r[1] for r in rows], pa.string())}))
