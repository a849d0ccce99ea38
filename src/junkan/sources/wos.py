"""Web of Science exports (plain text and tab-delimited) → canonical records.

Plain text ("Plain text file", full record with cited references): ``FN``/``VR`` header, one field per
two-letter tag, continuation lines indented by three spaces, records from ``PT`` to ``ER``, ``EF`` at the
end. Tab-delimited ("Tab-delimited (Win/Mac, UTF-8)"; UTF-16 with BOM for the older "Win" flavour): a header
row of the same tags, one record per row, lists separated by ``; ``. Both become the same tag → lines
mapping and are read by one function. Work id: the UT (``WOS:000418020600003``); WoS has no author ids
(``author_id`` null, names kept). See docs/sources.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from junkan.errors import BadInputError
from junkan.sources._exports import (
    _RAW_CITED,
    UNSET_INPUT,
    Builder,
    Rejects,
    csv_records,
    doc_type,
    funding_entries_wos,
    language,
    name_key,
    norm_doi,
    norm_issn,
    position_label,
    read_text,
    to_int,
)
from junkan.sources.batch import CITED_SCHEMA, SourceBatch

__all__ = ["parse_references", "read_wos"]

log = logging.getLogger(__name__)

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
_UT = re.compile(r"^[A-Z][A-Z0-9]*:[A-Za-z0-9.\-]+$")
_LIST_TAGS = {"AU", "AF", "CR", "C1", "BA", "BF", "CA", "GP"}  # one item per line in plain text
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_SOURCE_TYPES = {"J": "journal", "S": "book series", "B": None, "P": "conference"}

#: Cited references as three columns (citing UT, ordinal, string as printed): built column-wise, not as one
#: tuple per reference (hundreds of thousands in a large export).
_Cited = tuple[list[str], list[int], list[str]]


def read_wos(path: str | Path, *, overrides: pa.Table | str | Path | None = None) -> SourceBatch:
    """Read one Web of Science export (plain text or tab-delimited, detected from the first line).

    Parameters
    ----------
    path
        The export file (UTF-8 with or without BOM, UTF-16 with BOM; cp1252 accepted with a warning).
    overrides
        Address → country corrections: a path for :func:`junkan.sources.addresses.load_overrides` or its table.

    Returns
    -------
    SourceBatch
        ``source="wos"``; ``tables``: ``works`` (``work_id`` = UT, ``data_source="wos"``, DOI from DI, year from
        PY (else the early-access year EA), date from PD when it has a day, document type DT mapped to OpenAlex
        types, ``cited_by_count`` from TC, ``source_id`` synthetic ``issn:…``/``venue:…`` from SN/EI/SO),
        ``authorships`` (AF full names, AU as ``raw_author_name``, ``author_id`` null, ORCID from OI,
        ``is_corresponding`` from RP, ``raw_affiliation_strings`` from the C1 ``[Author A; Author B] address``
        groups), ``authorship_countries`` (from those addresses), ``sources``, ``work_funders`` /
        ``work_awards`` (FU ``Name [award, award]``; null funder id), ``work_funding_texts`` (FX),
        ``work_biblio`` (VL, IS, BP — else the article number AR —, EP, SO, and J9 — else JI — as printed);
        ``cited``: one row per CR line, parsed; ``audit``: one row per (author, address) decision, and C1
        addresses without an author group with a null position; ``rejected``: records without a valid UT, with
        a non-integer PY or TC, a duplicate UT, a wrong number of fields (tab-delimited), a line that is neither
        a tag nor a continuation, or cut off before ``ER`` (plain text). ``read == kept + len(rejected)``.

    Raises
    ------
    BadInputError
        Missing, empty or binary file, or a file of another kind (e.g. a Scopus CSV), or a tab-delimited header
        without the UT column; the message names the file and line.
    """
    p = Path(path)
    text, warnings = read_text(p)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise BadInputError("empty file", file=str(p), line=1)
    rejects = Rejects(str(p))
    b = Builder("wos", p)
    seen: set[str] = set()
    cited: _Cited = ([], [], [])
    if re.match(r"^(FN |VR |PT [A-Z]\b)", first):
        read = _read_plain(text, b, rejects, seen, cited)
    elif "\t" in first and {"PT", "UT"} <= {h.strip().lstrip("\ufeff") for h in first.split("\t")}:
        read = _read_tab(text, p, b, rejects, seen, cited)
    else:
        hint = ""
        low = first.lower()
        if "eid" in low and ("authors" in low or "title" in low):
            hint = " (this looks like a Scopus CSV: use read_scopus)"
        elif low.startswith(('"id"', "id,")):
            hint = " (this looks like an OpenAlex CSV: use read_openalex_csv)"
        raise BadInputError(
            f"not a Web of Science export: plain text starts with 'FN'/'PT' and tab-delimited with a header of field "
            f"tags including PT and UT; the first line is {first[:60]!r}{hint}",
            file=str(p), line=1,
        )
    batch = b.finish(read=read, rejects=rejects, warnings=warnings, overrides=overrides, parse_cited=parse_references)
    if cited[0]:
        rc = pa.table({"citing_id": pa.array(cited[0], pa.string()), "ordinal": pa.array(cited[1], pa.int32()),
                       "raw": pa.array(cited[2], pa.string())}, schema=_RAW_CITED)
        batch.cited = parse_references(rc).select(CITED_SCHEMA.names).cast(CITED_SCHEMA)
    return batch


def _read_plain(text: str, b: Builder, rejects: Rejects, seen: set[str], cited: _Cited) -> int:
    # Hot loop (one pass over every line; cited-reference continuation lines are most of them): the
    # continuation test comes first, and a record's raw text is a slice of the lines, not a copy per line.
    read = 0
    tags: dict[str, list[str]] | None = None
    start = 0
    problem: tuple[str, str | None] | None = None
    last_tag: str | None = None
    cont: list[str] | None = None  # the value list of last_tag
    match = _TAG_LINE.match
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        if tags is None:
            if not line.strip() or line.startswith(("FN ", "VR ")) or line.rstrip() == "EF":
                continue
            m = match(line)
            if m and m.group(1) == "PT":
                cont = [m.group(2) or ""]
                tags, start, problem, last_tag = {"PT": cont}, n, None, "PT"
                continue
            read += 1  # a stray line outside any record is counted and rejected, never dropped silently
            rejects.add(n, None, None, "text outside a record (expected PT to start a record)", line)
            continue
        if line.startswith("   ") and cont is not None:  # a continuation line (never "ER", which starts a line)
            cont.append(line.strip())
            continue
        if line.rstrip() == "ER":
            read += 1
            _record(tags, start, "\n".join(lines[start - 1 : n]), b, rejects, seen, problem, cited)
            tags, cont = None, None
            continue
        m = match(line)
        if m:
            last_tag = m.group(1)
            cont = tags.setdefault(last_tag, [])
            cont.append(m.group(2) or "")
            continue
        if not line.strip():
            continue
        if problem is None:
            problem = (f"line {n} is neither a field tag nor a continuation line", None)
    if tags is not None:
        read += 1
        rejects.add(start, _ut_of(tags), None, "truncated record: the file ends before its ER line",
                    "\n".join(lines[start - 1 :]))
    return read


def _read_tab(text: str, p: Path, b: Builder, rejects: Rejects, seen: set[str], cited: _Cited) -> int:
    records = csv_records(text, file=str(p), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = [h.strip().lstrip("\ufeff") for h in next(records).fields]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    read = 0
    for rec in records:
        read += 1
        f = rec.fields
        if len(f) > width and all(x == "" for x in f[width:]):
            f = f[:width]
        if len(f) != width:
            ut = f[header.index("UT")] if len(f) > header.index("UT") else None
            rejects.add(rec.line, ut, None, f"record has {len(f)} fields, the header has {width} (truncated?)", rec.raw)
            continue
        tags: dict[str, list[str]] = {}
        for tag, value in zip(header, f, strict=True):
            v = value.strip()
            if not v:
                continue
            if tag == "C1":
                tags[tag] = [x.strip() for x in re.split(r";\s*(?=\[)" if v.startswith("[") else r";\s+", v) if x.strip()]
            elif tag in _LIST_TAGS:
                tags[tag] = [x.strip() for x in v.split(";") if x.strip()]
            else:
                tags[tag] = [v]
        _record(tags, rec.line, rec.raw.rstrip("\r\n"), b, rejects, seen, None, cited)
    return read


def _ut_of(tags: dict[str, list[str]]) -> str | None:
    v = tags.get("UT")
    return v[0].strip() if v else None


def _joined(tags: dict[str, list[str]], tag: str) -> str | None:
    v = tags.get(tag)
    if not v:
        return None
    s = " ".join(x.strip() for x in v if x.strip())
    return s or None


def _record(
    tags: dict[str, list[str]],
    line: int,
    raw: str,
    b: Builder,
    rejects: Rejects,
    seen: set[str],
    problem: tuple[str, str | None] | None,
    out_cited: _Cited,
) -> None:
    ut = _ut_of(tags)
    if problem is not None:
        rejects.add(line, ut, problem[1], problem[0], raw)
        return
    if not ut or not _UT.match(ut):
        rejects.add(line, ut, "UT", f"UT {ut!r} is not a Web of Science accession number (WOS:…)" if ut else "no UT", raw)
        return
    try:
        year = to_int(_joined(tags, "PY"))
    except ValueError:
        rejects.add(line, ut, "PY", f"PY {_joined(tags, 'PY')!r} is not an integer", raw)
        return
    try:
        cited = to_int(_joined(tags, "TC"))
    except ValueError:
        rejects.add(line, ut, "TC", f"TC {_joined(tags, 'TC')!r} is not an integer", raw)
        return
    try:
        wtype, retracted = doc_type(_joined(tags, "DT"))
    except ValueError as exc:
        rejects.add(line, ut, "DT", f"DT: {exc}", raw)
        return
    if ut in seen:
        rejects.add(line, ut, "UT", "duplicate_id: the UT appears earlier in the file", raw)
        return
    seen.add(ut)
    if year is None:
        ea = re.search(r"\b(19|20)\d\d\b", _joined(tags, "EA") or "")
        year = int(ea.group(0)) if ea else None

    au = tags.get("AU", [])
    af = tags.get("AF", [])
    names = af if len(af) == len(au) else au
    pt = (_joined(tags, "PT") or "").strip()
    stype = _SOURCE_TYPES.get(pt)
    issn = norm_issn(_joined(tags, "SN")) or norm_issn(_joined(tags, "EI"))
    sid = b.add_source(_joined(tags, "SO"), issn, stype)
    refs = [r.strip() for r in tags.get("CR", []) if r.strip()]
    b.works.append(
        {
            "work_id": ut, "doi": norm_doi(_joined(tags, "DI")), "title": _joined(tags, "TI"), "publication_year": year,
            "publication_date": _date(year, _joined(tags, "PD")), "type": wtype, "language": language(_joined(tags, "LA")),
            "source_id": sid, "source_type": stype if sid else None, "is_retracted": retracted, "cited_by_count": cited,
            "referenced_works_count": to_int_safe(_joined(tags, "NR")) if refs == [] else len(refs),
            "authors_count": len(names), "data_source": "wos", "input_id": UNSET_INPUT,
        }
    )
    # C1: "[Author A; Author B] address" groups → addresses per author position
    by_name: dict[str, list[int]] = {}
    for i, nm in enumerate(names):
        by_name.setdefault(nm.strip().lower(), []).append(i)
    for i, nm in enumerate(au):
        by_name.setdefault(nm.strip().lower(), []).append(i)
    per: list[list[str]] = [[] for _ in names]
    for group in tags.get("C1", []):
        m = re.match(r"^\[([^\]]*)\]\s*(.*)$", group.strip())
        if not m:
            b.addresses.append((ut, None, group.strip()))
            continue
        addr = m.group(2).strip()
        hit = False
        for who in m.group(1).split(";"):
            for pos in sorted(set(by_name.get(who.strip().lower(), []))):
                if addr not in per[pos]:
                    per[pos].append(addr)
                hit = True
        if not hit:
            b.addresses.append((ut, None, addr))
    corr = _corresponding(_joined(tags, "RP"), au)
    orcids = _orcids(_joined(tags, "OI"), names)
    for i, nm in enumerate(names):
        b.authorships.append(
            {
                "work_id": ut, "author_position": i, "author_position_label": position_label(i, len(names)),
                "author_id": None, "author_name": nm, "orcid": orcids.get(i),
                "is_corresponding": None if corr is None else i in corr,
                "raw_author_name": au[i] if i < len(au) else nm, "raw_affiliation_strings": per[i],
            }
        )
        b.addresses.extend((ut, i, a) for a in per[i])
    b.add_funding(ut, funding_entries_wos(_joined(tags, "FU")), _joined(tags, "FX"))
    b.add_biblio(
        ut, volume=_joined(tags, "VL"), issue=_joined(tags, "IS"),
        first_page=_joined(tags, "BP") or _joined(tags, "AR"), last_page=_joined(tags, "EP"),
        source_title=_joined(tags, "SO"), source_abbreviation=_joined(tags, "J9") or _joined(tags, "JI"),
    )
    out_cited[0].extend([ut] * len(refs))
    out_cited[1].extend(range(len(refs)))
    out_cited[2].extend(refs)


def to_int_safe(value: str | None) -> int | None:
    try:
        return to_int(value)
    except ValueError:
        return None


def _date(year: int | None, pd: str | None) -> dt.date | None:
    """``PD 2026 FEB 25`` / ``DEC 31`` with PY → a date; month-only or season values → None."""
    if not year or not pd:
        return None
    m = re.fullmatch(r"(?:\d{4}\s+)?([A-Z]{3})\s+(\d{1,2})", pd.strip().upper())
    if not m or m.group(1) not in _MONTHS:
        return None
    try:
        return dt.date(year, _MONTHS[m.group(1)], int(m.group(2)))
    except ValueError:
        return None


def _corresponding(rp: str | None, au: list[str]) -> set[int] | None:
    """Positions named in RP (``Toh, ML (corresponding author), address``); None when RP is absent."""
    if not rp or not au:
        return None
    names = re.findall(r"(?:^|;|\.)\s*([^;.()]+?)\s*\((?:corresponding|reprint) author\)", rp)
    keys = {n.strip().lower() for n in names}
    pos = {i for i, a in enumerate(au) if a.strip().lower() in keys}
    if not pos:
        nk = {name_key(n) for n in names}
        pos = {i for i, a in enumerate(au) if name_key(a) in nk}
    return pos


def _orcids(oi: str | None, names: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not oi:
        return out
    lower = {n.strip().lower(): i for i, n in enumerate(names)}
    for entry in oi.split(";"):
        m = re.match(r"^\s*(.+?)/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\s*$", entry)
        if m and m.group(1).strip().lower() in lower:
            out[lower[m.group(1).strip().lower()]] = m.group(2)
    return out


_REF_SQL = r"""
WITH r AS (  -- each distinct printed reference parsed once (a cited item repeats across citing records)
    SELECT raw, list_transform(string_split(trim(raw), ','), x -> trim(x)) AS p
    FROM (SELECT DISTINCT raw FROM refs WHERE raw IS NOT NULL)
), r2 AS (
    SELECT *, CASE WHEN regexp_matches(p[1], '^\d{4}$') THEN 1 WHEN regexp_matches(coalesce(p[2], ''), '^\d{4}$') THEN 2 END AS yi
    FROM r
), parsed AS (
SELECT raw,
       nullif(lower(rtrim(regexp_extract(raw, 'DOI \[?(10\.\d{4,9}/[^\s,\]]+)', 1), '.')), '') AS doi,
       CASE WHEN yi = 2 AND p[1] NOT IN ('[Anonymous]', 'Anonymous') THEN p[1] END AS first_author,
       TRY_CAST(CASE yi WHEN 1 THEN p[1] WHEN 2 THEN p[2] END AS INTEGER) AS year,
       CASE WHEN yi IS NOT NULL AND len(p) > yi AND NOT regexp_matches(p[yi + 1], '^(V|P|DOI )\S')
            THEN p[yi + 1] END AS source_title,
       nullif(regexp_extract(raw, ',\s*V([^\s,]+)', 1), '') AS volume,
       nullif(regexp_extract(raw, ',\s*P([^\s,]+)', 1), '') AS first_page,
       NULL::VARCHAR AS title
FROM r2
)
SELECT refs.citing_id, refs.ordinal, refs.raw, parsed.doi, parsed.first_author, parsed.year, parsed.source_title,
       parsed.volume, parsed.first_page, parsed.title
FROM refs LEFT JOIN parsed ON parsed.raw = refs.raw ORDER BY refs.citing_id, refs.ordinal
"""


def parse_references(refs: pa.Table) -> pa.Table:
    """Parse WoS cited references (``Aria M, 2017, J INFORMETR, V11, P959, DOI 10.1016/j.joi.2017.08.007``)
    given as ``citing_id, ordinal, raw`` into :data:`~junkan.sources.batch.CITED_SCHEMA` columns (one DuckDB
    query). The first of several DOIs (``DOI [a, b]``) is kept; ``[Anonymous]`` has no first author; the
    source title is the abbreviation WoS prints; titles are not printed (null)."""
    con = duckdb.connect()
    con.register("refs", refs)
    out = con.execute(_REF_SQL).fetch_arrow_table()
    con.close()
    return out
