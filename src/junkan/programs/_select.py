"""Which works belong to which program: Ibis expressions over the store tables (no Python loops over rows)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from junkan.programs._definitions import FunderSelector, InstitutionSelector, Program

__all__ = ["program_works", "partner_table"]


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


def _institution_works(ai: ir.Table, inst: ir.Table, docset: ir.Table,
                       sels: tuple[InstitutionSelector, ...]) -> ir.Table:
    j = ai.join(inst.select("institution_id", "ror", "display_name"), "institution_id")
    j = j.join(docset.select("work_id", "publication_year"), "work_id")
    conds = []
    for s in sels:
        if s.id:
            c = j.institution_id == s.id
        elif s.ror:
            c = j.ror.lower() == s.ror
        else:
            c = j.display_name.fill_null("").re_search("(?i)" + str(s.name))
        conds.append(c & _years_cond(j.publication_year, s.years))
    return j.filter(_any(conds)).select("work_id")


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
