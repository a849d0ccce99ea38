"""The OpenAlex web CSV (openalex.org → Export → CSV) → canonical records.

One row per work, nested lists flattened with ``|`` in columns named by their JSON path
(``authorships.author.display_name``, ``authorships.countries``, ``primary_location.source.id`` …). Ids are
kept in the short form (``W2755950973``). Columns are optional except ``id``; unknown columns are ignored.
See docs/sources.md ("OpenAlex web CSV").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pyarrow as pa

from junkan.errors import BadInputError
from junkan.sources._exports import UNSET_INPUT, Builder, CsvRecord, Rejects, csv_records, damaged_record, na, norm_doi, read_text, to_int
from junkan.sources.batch import SourceBatch

__all__ = ["read_openalex_csv"]

log = logging.getLogger(__name__)

_ID = re.compile(r"^(?:https://openalex\.org/)?([WASIFT]\d+)$")
_BOOL = {"true": True, "false": False}


def _short(value: str | None) -> str | None:
    v = na(value)
    if not v:
        return None
    m = _ID.match(v)
    return m.group(1) if m else None


def _pipes(value: str | None) -> list[str]:
    """``"a|b||c"`` → ``["a", "b", "", "c"]`` (empty slots kept: they stand for an author without a value)."""
    v = value if value is not None else ""
    return v.split("|") if v.strip() else []


def read_openalex_csv(path: str | Path) -> SourceBatch:
    """Read one OpenAlex web CSV export into canonical records.

    Returns
    -------
    SourceBatch
        ``source="openalex-csv"``; ``tables``: ``works`` (``work_id`` short W id, ``data_source="openalex-csv"``,
        title from ``display_name`` or ``title``, DOI without prefix, type, year, date, language, OpenAlex's own
        FWCI/percentile when exported), ``authorships`` (names, short A ids, ORCIDs, corresponding flags, one
        per position of ``authorships.author.display_name``), ``authorship_countries`` and
        ``authorship_institutions``/``institutions`` **only when the flattened list has exactly one slot per
        author** (an author with two institutions makes the list ambiguous: then nothing is attributed and a
        warning counts such works), ``sources`` (short S id), ``work_funders`` (``funders.display_name`` and
        ``funders.id`` when present), ``references`` from ``referenced_works`` when exported, ``work_biblio`` from ``biblio.volume``,
        ``biblio.issue``, ``biblio.first_page``, ``biblio.last_page`` when exported and not all empty (with the
        venue's display name as ``source_title``); ``cited`` and
        ``audit`` stay empty (OpenAlex gives ids and countries, not printed strings); ``rejected``: rows with a
        bad ``id``, year, citation count or boolean, a wrong number of fields or unbalanced quotes, duplicates.
        ``read == kept + len(rejected)``.

    Raises
    ------
    BadInputError
        Missing, empty, binary file, or no ``id`` column (e.g. a Scopus CSV); the message names file and line.
    """
    p = Path(path)
    text, warnings = read_text(p)
    records = csv_records(text, file=str(p))
    try:
        header_rec = next(records)
    except StopIteration:
        raise BadInputError("empty file: no header", file=str(p), line=1) from None
    header = [h.strip().lstrip("\ufeff") for h in header_rec.fields]
    if "id" not in header:
        low = {h.lower() for h in header}
        hint = " (this looks like a Scopus CSV: use read_scopus)" if "eid" in low else ""
        if header_rec.raw.startswith(("FN ", "PT ")) or "PT\tAU" in header_rec.raw:
            hint = " (this looks like a Web of Science export: use read_wos)"
        raise BadInputError(f"not an OpenAlex CSV export: no 'id' column{hint}", file=str(p), line=1, field="id")
    col = {h: i for i, h in enumerate(header)}
    rejects = Rejects(str(p))
    b = Builder("openalex-csv", p)
    refs: list[dict[str, str]] = []
    seen: set[str] = set()
    unaligned = 0
    read = 0
    for rec in records:
        read += 1
        unaligned += _record(rec, col, len(header), b, rejects, seen, refs)
    if unaligned:
        msg = (f"{p}: {unaligned} work(s) list more institutions or countries than authors; those lists cannot be "
               "split per author and were not attributed")
        log.warning("%s", msg)
        warnings.append(msg)
    batch = b.finish(read=read, rejects=rejects, warnings=warnings, overrides=None, parse_cited=None)
    if refs:
        from junkan.model.schema import arrow_schema

        batch.tables["references"] = pa.Table.from_pylist(refs, schema=arrow_schema("references"))
    return batch


def _record(
    rec: CsvRecord,
    col: dict[str, int],
    width: int,
    b: Builder,
    rejects: Rejects,
    seen: set[str],
    refs: list[dict[str, str]],
) -> int:
    f = rec.fields

    def get(name: str) -> str | None:
        i = col.get(name)
        return f[i] if i is not None and i < len(f) else None

    raw_id = (get("id") or "").strip()
    if damaged_record(rec, width, raw_id, rejects):
        return 0
    wid = _short(raw_id)
    if not wid or not wid.startswith("W"):
        rejects.add(rec.line, raw_id or None, "id", f"id {raw_id[:60]!r} is not an OpenAlex work id", rec.raw)
        return 0
    values: dict[str, object] = {}
    for name, conv in (("publication_year", to_int), ("cited_by_count", to_int), ("referenced_works_count", to_int),
                       ("fwci", _float), ("citation_normalized_percentile.value", _float), ("is_retracted", _bool),
                       ("publication_date", _date)):
        try:
            values[name] = conv(get(name))
        except ValueError:
            what = {"to_int": "an integer", "_float": "a number", "_bool": "True or False", "_date": "a date (YYYY-MM-DD)"}
            rejects.add(rec.line, wid, name, f"{name} {get(name)!r} is not {what[conv.__name__]}", rec.raw)
            return 0
    if wid in seen:
        rejects.add(rec.line, wid, "id", "duplicate_id: the id appears earlier in the file", rec.raw)
        return 0
    seen.add(wid)

    sid = _short(get("primary_location.source.id"))
    stype = na(get("primary_location.source.type"))
    if sid and sid not in b.sources:
        b.sources[sid] = {"source_id": sid, "display_name": na(get("primary_location.source.display_name")),
                          "issn_l": na(get("primary_location.source.issn_l")), "type": stype, "is_core": None}
    names = _pipes(get("authorships.author.display_name"))
    n = len(names)
    b.works.append(
        {
            "work_id": wid, "doi": norm_doi(get("doi")), "title": na(get("display_name")) or na(get("title")),
            "publication_year": values["publication_year"], "publication_date": values["publication_date"],
            "type": na(get("type")), "language": na(get("language")), "source_id": sid, "source_type": stype if sid else None,
            "is_retracted": values["is_retracted"], "cited_by_count": values["cited_by_count"],
            "referenced_works_count": values["referenced_works_count"], "authors_count": n,
            "oa_fwci": values["fwci"], "oa_citation_percentile": values["citation_normalized_percentile.value"],
            "data_source": "openalex-csv", "input_id": UNSET_INPUT,
        }
    )
    ids = _pipes(get("authorships.author.id"))
    orcids = _pipes(get("authorships.author.orcid"))
    corr = _pipes(get("authorships.is_corresponding"))
    countries = _pipes(get("authorships.countries"))
    inst_ids = _pipes(get("authorships.institutions.id"))
    inst_names = _pipes(get("authorships.institutions.display_name"))
    unaligned = 0
    if (countries and len(countries) != n) or (inst_ids and len(inst_ids) != n):
        unaligned = 1
    for i, nm in enumerate(names):
        b.authorships.append(
            {
                "work_id": wid, "author_position": i,
                "author_position_label": "first" if i == 0 else "last" if i == n - 1 else "middle",
                "author_id": _short(ids[i]) if len(ids) == n else None, "author_name": nm.strip() or None,
                "orcid": (orcids[i].rsplit("/", 1)[-1] or None) if len(orcids) == n else None,
                "is_corresponding": _bool(corr[i]) if len(corr) == n and corr[i].strip().lower() in _BOOL else None,
                "raw_author_name": None, "raw_affiliation_strings": None,
            }
        )
        if len(countries) == n and re.fullmatch(r"[A-Z]{2}", countries[i].strip()):
            b.given_countries.append({"work_id": wid, "author_position": i, "country_code": countries[i].strip()})
        if len(inst_ids) == n and _short(inst_ids[i]):
            iid = _short(inst_ids[i])
            b.authorship_institutions.append({"work_id": wid, "author_position": i, "institution_id": iid})
            if iid not in b.institutions:
                b.institutions[iid] = {
                    "institution_id": iid, "ror": None,
                    "display_name": (inst_names[i].strip() or None) if len(inst_names) == n else None,
                    "country_code": countries[i].strip() or None if len(countries) == n else None,
                    "type": None, "lineage": None,
                }
    b.add_biblio(
        wid, volume=get("biblio.volume"), issue=get("biblio.issue"), first_page=get("biblio.first_page"),
        last_page=get("biblio.last_page"), source_title=None, source_abbreviation=None,
    )
    if b.biblio and b.biblio[-1]["work_id"] == wid:  # a locator is printed: the venue name goes with it
        b.biblio[-1]["source_title"] = na(get("primary_location.source.display_name"))
    fnames = _pipes(get("funders.display_name"))
    fids = _pipes(get("funders.id"))
    done: set[str] = set()
    for k, fn in enumerate(fnames):
        fid = _short(fids[k]) if len(fids) == len(fnames) else None
        if fn.strip() and fn.strip() not in done:
            done.add(fn.strip())
            b.funders.append({"work_id": wid, "funder_id": fid, "funder_name": fn.strip(), "ror": None})
    for ref in dict.fromkeys(_pipes(get("referenced_works"))):
        rid = _short(ref)
        if rid:
            refs.append({"work_id": wid, "cited_work_id": rid})
    return unaligned


def _float(value: str | None) -> float | None:
    v = na(value)
    return None if v is None else float(v)


def _bool(value: str | None) -> bool | None:
    v = na(value)
    if v is None:
        return None
    if v.lower() not in _BOOL:
        raise ValueError(v)
    return _BOOL[v.lower()]


def _date(value: str | None) -> dt.date | None:
    v = na(value)
    return None if v is None else dt.date.fromisoformat(v)
