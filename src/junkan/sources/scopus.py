"""Scopus CSV exports → canonical records (:class:`~junkan.sources.batch.SourceBatch`).

Reads the CSV that Scopus writes with "Export → CSV" (all information), in the current layout (``Authors``
separated by ``;``, ``Author full names``, ``Funding Texts``) and older ones (``Authors`` separated by ``,``,
``Funding Text 1``…, ``Access Type``); column names are matched case-insensitively through a table of known
synonyms (:data:`COLUMNS`). Work id: the EID (``2-s2.0-85012345678``); author ids: ``scopus:`` + the
``Author(s) ID`` values. See docs/sources.md for every field.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from junkan.errors import BadInputError
from junkan.sources._exports import (
    UNSET_INPUT,
    Builder,
    CsvRecord,
    Rejects,
    csv_records,
    damaged_record,
    doc_type,
    funding_entries_scopus,
    language,
    na,
    name_key,
    norm_doi,
    norm_issn,
    position_label,
    read_text,
    to_int,
)
from junkan.sources.batch import SourceBatch

__all__ = ["COLUMNS", "REQUIRED", "parse_references", "read_scopus"]

log = logging.getLogger(__name__)

#: Canonical column → header spellings seen in Scopus exports (compared lower case, spaces collapsed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "authors": ("authors", "author"),
    "author_full_names": ("author full names",),
    "author_ids": ("author(s) id", "author(s) identifier", "authors id", "author id", "author ids"),
    "title": ("title", "document title", "article title"),
    "year": ("year", "publication year"),
    "source_title": ("source title", "journal", "source name"),
    "source_abbreviation": ("abbreviated source title", "abbreviated source", "source abbreviation"),
    "volume": ("volume",),
    "issue": ("issue",),
    "art_no": ("art. no.", "article number", "art no"),
    "page_start": ("page start",),
    "page_end": ("page end",),
    "cited_by": ("cited by", "citations", "times cited"),
    "doi": ("doi",),
    "affiliations": ("affiliations",),
    "authors_with_affiliations": ("authors with affiliations",),
    "funding_details": ("funding details",),
    "references": ("references", "cited references"),
    "correspondence": ("correspondence address",),
    "issn": ("issn",),
    "language": ("language of original document", "language"),
    "document_type": ("document type",),
    "eid": ("eid",),
}
#: Columns without which a file is refused (``BadInputError`` naming the missing header).
REQUIRED = ("eid", "title", "year")
_FUNDING_TEXT = re.compile(r"^funding texts?(\s+\d+)?$")
_EID = re.compile(r"^2-s2\.0-\d+$")
_SYNONYM = {syn: canon for canon, syns in COLUMNS.items() for syn in syns}
_INITIALS = r"(?:[A-Z][a-z]?\.?[\s-]?){1,4}"
_NAME_ONLY = re.compile(r"^[^\d,;()]{1,60}?\s+" + _INITIALS + r"$")


def _norm_header(h: str) -> str:
    return re.sub(r"\s+", " ", h.replace("\ufeff", "").strip().lower())


def _header_map(header: list[str], path: Path, first_line: str) -> tuple[dict[str, int], list[int]]:
    if first_line.startswith(("FN ", "VR ", "PT ", "PT\t", "\ufeffFN ")):
        raise BadInputError(
            "this is a Web of Science export, not a Scopus CSV (use read_wos / `junkan ingest wos`)", file=str(path), line=1
        )
    cols: dict[str, int] = {}
    funding_texts: list[int] = []
    for i, h in enumerate(header):
        n = _norm_header(h)
        if _FUNDING_TEXT.match(n):
            funding_texts.append(i)
        elif n in _SYNONYM and _SYNONYM[n] not in cols:
            cols[_SYNONYM[n]] = i
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        hint = ""
        normed = {_norm_header(h) for h in header}
        if {"id", "display_name"} <= normed:
            hint = " (this looks like an OpenAlex CSV: use read_openalex_csv)"
        shown = {"eid": "EID", "title": "Title", "year": "Year"}[missing[0]]
        raise BadInputError(
            f"not a Scopus CSV export: required column {shown!r} is missing{hint}; the header has {len(header)} "
            f"columns: {', '.join(header[:8])}{'…' if len(header) > 8 else ''}",
            file=str(path), line=1, field=shown,
        )
    return cols, funding_texts


def _split_authors(value: str | None) -> list[str]:
    """``"Liu F.; Li C."`` (current), ``"Aria M., Cuccurullo C."`` or ``"Aria, M., Cuccurullo, C."`` (older)."""
    v = na(value)
    if not v or v.startswith("[No author"):
        return []
    if ";" in v:
        return [a.strip() for a in v.split(";") if a.strip()]
    toks = [t.strip() for t in v.split(",")]
    if len(toks) >= 2 and len(toks) % 2 == 0 and all(re.fullmatch(r"(?:[A-Z][a-z]?\.[\s-]?)+", t) for t in toks[1::2]):
        return [f"{a}, {b}" for a, b in zip(toks[0::2], toks[1::2], strict=False)]
    return [t for t in toks if t]


def _split_references(value: str | None) -> list[str]:
    """Split the ``References`` cell. The current layout separates the authors of one reference with ``;`` as
    well, so a piece that is only a name (``Cheng M.``) is joined to the piece after it."""
    v = na(value)
    if not v:
        return []
    out: list[str] = []
    pending: list[str] = []
    for piece in v.split("; "):
        p = piece.strip()
        if not p:
            continue
        if _NAME_ONLY.match(p):
            pending.append(p)
            continue
        out.append("; ".join([*pending, p]))
        pending = []
    if pending:
        out.append("; ".join(pending))
    return out


def _affiliation_parts(rest: str, known: list[str]) -> list[str]:
    """One author's affiliation text → its affiliations (several are printed joined by ``, ``)."""
    if rest in known or not known:
        return [rest]
    parts: list[str] = []
    s = rest
    while s:
        for aff in sorted(known, key=len, reverse=True):
            if s == aff:
                parts.append(aff)
                s = ""
                break
            if s.startswith(aff + ", "):
                parts.append(aff)
                s = s[len(aff) + 2 :]
                break
        else:
            return [rest]
    return parts


def _author_affiliations(value: str | None, authors: list[str], known: list[str]) -> tuple[list[list[str]], list[str]]:
    """``Authors with affiliations`` → affiliations per author position, plus those tied to no author."""
    per: list[list[str]] = [[] for _ in authors]
    loose: list[str] = []
    v = na(value)
    if not v:
        return per, loose
    p = 0
    for entry in (e.strip() for e in v.split("; ")):
        if not entry:
            continue
        pos = None
        rest = entry
        # which author does the entry start with? the next one, the previous one again, or a later one
        order = ([p] if p < len(authors) else []) + ([p - 1] if p > 0 else []) + list(range(p + 1, len(authors)))
        parts = entry.split(", ")
        for q in order:
            a = authors[q]
            if entry.startswith(a + ", ") or entry == a:
                pos, rest = q, entry[len(a) + 2 :].strip()
                break
        else:  # the same name written differently ("Aria M." in Authors, "Aria, M." here): compare name keys
            for q in order:
                key = name_key(authors[q])
                k = next((k for k in (1, 2) if k <= len(parts) and name_key(", ".join(parts[:k])) == key), None)
                if k is not None:
                    pos, rest = q, ", ".join(parts[k:]).strip()
                    break
        if pos is None:
            loose.append(entry)
            continue
        if pos >= p:
            p = pos + 1
        if rest:
            per[pos].extend(_affiliation_parts(rest, known))
    return per, loose


def read_scopus(path: str | Path, *, overrides: pa.Table | str | Path | None = None) -> SourceBatch:
    """Read one Scopus CSV export into canonical records.

    Parameters
    ----------
    path
        The CSV file (UTF-8 with or without BOM; cp1252 is accepted with a warning in ``batch.warnings``).
    overrides
        Address → country corrections: a path for :func:`junkan.sources.addresses.load_overrides` or its table.

    Returns
    -------
    SourceBatch
        ``source="scopus"``; ``tables``: ``works`` (``work_id`` = EID, ``data_source="scopus"``, DOI lower case
        without prefix, document type mapped to OpenAlex types, ``cited_by_count`` from "Cited by", ``source_id``
        synthetic: ``issn:…`` or ``venue:…``), ``authorships`` (``author_id`` = ``scopus:`` + Author(s) ID,
        ``raw_affiliation_strings`` from "Authors with affiliations"), ``authorship_countries`` (from those
        affiliations, see :mod:`junkan.sources.addresses`), ``sources``, ``work_funders`` (funder name, null id),
        ``work_awards`` (award numbers in parentheses), ``work_funding_texts`` ("Funding Texts" /
        "Funding Text 1…"), ``work_biblio`` (Volume, Issue, Page start — else Art. No. —, Page end, Source title,
        Abbreviated Source Title, as printed); ``cited``: one row per reference of "References", parsed; ``audit``: one row per
        (author, affiliation) decision; ``rejected``: records with a bad EID, Year or Cited by, a wrong number of
        fields, unbalanced quotes (a truncated record) or a duplicate EID, each with line, field and reason.
        ``read == kept + len(rejected)``.

    Raises
    ------
    BadInputError
        The file is missing, binary, empty, of another kind (Web of Science, OpenAlex) or lacks a required
        column (EID, Title, Year); the message names the file, line and header.
    """
    p = Path(path)
    text, warnings = read_text(p)
    records = csv_records(text, file=str(p))
    try:
        header_rec = next(records)
    except StopIteration:
        raise BadInputError("empty file: no header", file=str(p), line=1) from None
    cols, ft_cols = _header_map(header_rec.fields, p, header_rec.raw)
    width = len(header_rec.fields)
    rejects = Rejects(str(p))
    b = Builder("scopus", p)
    seen: set[str] = set()
    read = 0
    for rec in records:
        read += 1
        _record(rec, cols, ft_cols, width, b, rejects, seen)
    return b.finish(read=read, rejects=rejects, warnings=warnings, overrides=overrides, parse_cited=parse_references)


def _record(
    rec: CsvRecord,
    cols: dict[str, int],
    ft_cols: list[int],
    width: int,
    b: Builder,
    rejects: Rejects,
    seen: set[str],
) -> None:
    f = rec.fields

    def get(name: str) -> str | None:
        i = cols.get(name)
        return f[i] if i is not None and i < len(f) else None

    eid = (get("eid") or "").strip()
    if damaged_record(rec, width, eid, rejects):
        return
    if not _EID.match(eid):
        rejects.add(rec.line, eid or None, "EID", f"EID {eid[:40]!r} is not a Scopus EID (2-s2.0-…)", rec.raw)
        return
    try:
        year = to_int(get("year"))
    except ValueError:
        rejects.add(rec.line, eid, "Year", f"Year {get('year')!r} is not an integer", rec.raw)
        return
    try:
        cited = to_int(get("cited_by"))
    except ValueError:
        rejects.add(rec.line, eid, "Cited by", f"Cited by {get('cited_by')!r} is not an integer", rec.raw)
        return
    try:
        wtype, retracted = doc_type(get("document_type"))
    except ValueError as exc:
        rejects.add(rec.line, eid, "Document Type", f"Document Type: {exc}", rec.raw)
        return
    if eid in seen:
        rejects.add(rec.line, eid, "EID", "duplicate_id: the EID appears earlier in the file", rec.raw)
        return
    seen.add(eid)

    issn = norm_issn(get("issn"))
    raw_type = (get("document_type") or "").lower()
    stype = "conference" if raw_type.startswith("conference") else None if raw_type.startswith("book") else "journal"
    sid = b.add_source(na(get("source_title")), issn, stype)
    authors = _split_authors(get("authors"))
    refs = _split_references(get("references"))
    b.works.append(
        {
            "work_id": eid, "doi": norm_doi(get("doi")), "title": na(get("title")), "publication_year": year,
            "type": wtype, "language": language(get("language")), "source_id": sid, "source_type": stype if sid else None,
            "is_retracted": retracted, "cited_by_count": cited, "referenced_works_count": len(refs),
            "authors_count": len(authors), "data_source": "scopus", "input_id": UNSET_INPUT,
        }
    )
    ids = [i.strip() for i in (get("author_ids") or "").split(";") if i.strip() and i.strip() != "[No author id available]"]
    full = [re.sub(r"\s*\(\d+\)\s*$", "", n).strip() for n in (na(get("author_full_names")) or "").split(";") if n.strip()]
    known = [a.strip() for a in (na(get("affiliations")) or "").split(";") if a.strip()]
    per, loose = _author_affiliations(get("authors_with_affiliations"), authors, known)
    corr = _corresponding(get("correspondence"), authors)
    for i, name in enumerate(authors):
        affs = list(dict.fromkeys(per[i]))
        b.authorships.append(
            {
                "work_id": eid, "author_position": i, "author_position_label": position_label(i, len(authors)),
                "author_id": f"scopus:{ids[i]}" if len(ids) == len(authors) and ids[i].isdigit() else None,
                "author_name": full[i] if len(full) == len(authors) else name, "orcid": None,
                "is_corresponding": None if corr is None else i == corr,
                "raw_author_name": name, "raw_affiliation_strings": affs,
            }
        )
        b.addresses.extend((eid, i, a) for a in affs)
    if not authors or all(not x for x in per):
        # no per-author affiliations: the affiliations of the record are audited but tied to no author
        b.addresses.extend((eid, None, a) for a in (loose or known))
    else:
        b.addresses.extend((eid, None, a) for a in loose)
    texts = [f[i].strip() for i in ft_cols if i < len(f) and na(f[i])]
    b.add_funding(eid, funding_entries_scopus(get("funding_details")), "\n".join(texts) or None)
    b.add_biblio(
        eid, volume=get("volume"), issue=get("issue"), first_page=na(get("page_start")) or get("art_no"),
        last_page=get("page_end"), source_title=get("source_title"), source_abbreviation=get("source_abbreviation"),
    )
    b.cited.extend((eid, k, r) for k, r in enumerate(refs))


def _corresponding(value: str | None, authors: list[str]) -> int | None:
    """Position of the corresponding author: ``"Y. Li; Department …; email: …"`` → the author ``Li Y.``."""
    v = na(value)
    if not v or not authors:
        return None
    key = name_key(v.split(";")[0])
    hits = [i for i, a in enumerate(authors) if name_key(a) == key]
    return hits[0] if len(hits) == 1 else None


_REF_SQL = r"""
WITH r AS (
    SELECT citing_id, ordinal, raw, trim(raw) AS s,
           regexp_matches(trim(raw), '\((1[5-9]\d\d|20\d\d)\)\s*\.?$') AS current_layout
    FROM refs
), cur AS (  -- current layout: Authors; …, Title, Source, Volume, Issue, pp. X-Y, (Year)
    SELECT *, regexp_replace(s, ',?\s*\((\d{4})\)\s*\.?$', '') AS body,
           regexp_extract(s, '\((\d{4})\)\s*\.?$', 1) AS y
    FROM r WHERE current_layout
), cur2 AS (
    SELECT *, regexp_extract(body, ',\s*pp?\.\s*([^,]+)$', 1) AS pages,
           regexp_replace(body, ',\s*pp?\.\s*[^,]+$', '') AS b2,
           CASE WHEN regexp_matches(split_part(body, ', ', 1), '^[^\d,()]{1,60}?\s+(?:[A-Z][a-z]?\.?[\s-]?){1,4}(;\s*[^\d,()]{1,60}?\s+(?:[A-Z][a-z]?\.?[\s-]?){1,4})*$')
                THEN split_part(body, ', ', 1) END AS authors
    FROM cur
), cur3 AS (
    SELECT *, CASE WHEN authors IS NULL THEN b2 ELSE substr(b2, length(authors) + 3) END AS rest FROM cur2
), cur4 AS (
    SELECT *, regexp_extract(rest, ',\s*([A-Za-z]?\d+[A-Za-z]?)(?:,\s*(\d[\w-]*))?$', 1) AS vol,
           regexp_replace(rest, ',\s*([A-Za-z]?\d+[A-Za-z]?)(?:,\s*(\d[\w-]*))?$', '') AS r2
    FROM cur3
), cur_out AS (
    SELECT citing_id, ordinal, raw,
           nullif(trim(split_part(authors, ';', 1)), '') AS first_author,
           TRY_CAST(y AS INTEGER) AS year,
           CASE WHEN contains(r2, ', ') THEN trim(regexp_extract(r2, ',\s*([^,]*)$', 1)) END AS source_title,
           nullif(vol, '') AS volume,
           nullif(trim(split_part(pages, '-', 1)), '') AS first_page,
           nullif(trim(CASE WHEN contains(r2, ', ') THEN regexp_replace(r2, ',\s*[^,]*$', '') ELSE r2 END), '') AS title
    FROM cur4
), old AS (  -- older layout: Surname, I., Surname, I., Title (Year) Source, Volume (Issue), pp. X-Y.
    SELECT *, regexp_extract(s, '^(.*?)\s*\((1[5-9]\d\d|20\d\d)\)', 1) AS pre,
           regexp_extract(s, '\((1[5-9]\d\d|20\d\d)\)', 1) AS y,
           trim(regexp_extract(s, '\((?:1[5-9]\d\d|20\d\d)\)\s*(.*)$', 1)) AS post
    FROM r WHERE NOT current_layout
), old_out AS (
    SELECT citing_id, ordinal, raw,
           nullif(trim(regexp_extract(pre, '^([^,]+,\s*(?:[A-Z][a-z]?\.[\s-]?)+)', 1)), '') AS first_author,
           TRY_CAST(y AS INTEGER) AS year,
           nullif(trim(split_part(post, ',', 1)), '') AS source_title,
           nullif(regexp_extract(post, ',\s*([A-Za-z]?\d+[A-Za-z]?)', 1), '') AS volume,
           nullif(regexp_extract(post, 'pp?\.\s*([^\s,\-–]+)', 1), '') AS first_page,
           nullif(trim(regexp_replace(regexp_replace(pre, '^(?:[^,]+,\s*(?:[A-Z][a-z]?\.[\s-]?)+,\s*)+', ''), ',$', '')), '') AS title
    FROM old
)
SELECT citing_id, ordinal, raw,
       nullif(rtrim(lower(regexp_extract(raw, '10\.\d{4,9}/[^\s,;]+')), '.'), '') AS doi,
       first_author, year, source_title, volume, first_page, title
FROM (SELECT * FROM cur_out UNION ALL SELECT * FROM old_out)
ORDER BY citing_id, ordinal
"""


def parse_references(refs: pa.Table) -> pa.Table:
    """Parse Scopus reference strings (``citing_id, ordinal, raw``) into :data:`~junkan.sources.batch.CITED_SCHEMA`
    columns in one DuckDB query. Both layouts are read:

    * current: ``Aria M.; Cuccurullo C., Bibliometrix: An R-tool…, Journal of Informetrics, 11, 4, pp. 959-975, (2017)``
    * older: ``Aria, M., Cuccurullo, C., Bibliometrix: An R-tool… (2017) Journal of Informetrics, 11 (4), pp. 959-975.``

    A DOI printed anywhere in the string is kept (lower case); a reference whose first piece is not a name
    has no first author. Fields that cannot be found are null.
    """
    con = duckdb.connect()
    con.register("refs", refs)
    out = con.execute(_REF_SQL).fetch_arrow_table()
    con.close()
    return out


