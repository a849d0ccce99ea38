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
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    first = _first_line(text)
    if not first:
        raise BadInputError("empty file", file=str(p), line=1)
    rejects = Rejects(str(p))
    b = Builder("wos", p)
    seen: set[str] = set()
    cited: _Cited = ([], [], [])
    fast: pa.Table | None = None
    if re.match(r"^(FN |VR |PT [A-Z]\b)", first):
        done = _read_plain_fast(text, b, rejects, seen)
        if done is not None:
            read, fast = done
        else:  # a damaged or unusual file: record by record, which names each problem
            log.debug("%s: plain text read record by record", p)
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
    rc = fast if fast is not None else pa.table(
        {"citing_id": pa.array(cited[0], pa.string()), "ordinal": pa.array(cited[1], pa.int32()),
         "raw": pa.array(cited[2], pa.string())}, schema=_RAW_CITED)
    if rc.num_rows:
        batch.cited = parse_references(rc).select(CITED_SCHEMA.names).cast(CITED_SCHEMA)
    return batch


def _first_line(text: str) -> str:
    """The first non-blank line (as ``splitlines`` cuts lines), reading only as much of the text as needed."""
    n = 4096
    while True:
        lines = text[:n].splitlines()
        for i, ln in enumerate(lines):
            if ln.strip():
                if i < len(lines) - 1 or n >= len(text):
                    return ln
                break  # the line may go on beyond the head
        else:
            if n >= len(text):
                return ""
        n *= 4


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
            refs = [r.strip() for r in tags.pop("CR", []) if r.strip()]
            raw = lambda s=start, e=n: "\n".join(lines[s - 1 : e])  # noqa: E731 - only for a rejected record
            ut = _record(tags, start, raw, b, rejects, seen, problem, len(refs))
            if ut is not None:
                _add_refs(cited, ut, refs)
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


#: Characters ``str.splitlines`` breaks on besides ``\n`` (``\r\n`` is folded first), UTF-8 encoded: the fast path
#: splits on ``\n`` only.
_OTHER_BREAKS = tuple(c.encode() for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: White space (``str.isspace``) other than the space and line breaks, next to a line's or a value's ends: there
#: ``str.strip`` and Arrow's ``utf8_trim(" ")`` differ, so such a file goes to the record-by-record reader.
_WS = r"[\t\x{1f}\x{a0}\x{1680}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]"
_ODD = rf"^(?:[A-Z][A-Z0-9])? *{_WS}|{_WS} *$"


def _read_plain_fast(text: str, b: Builder, rejects: Rejects, seen: set[str]) -> tuple[int, pa.Table] | None:
    """The plain-text reader, column-wise (issue #10): the file's lines as one Arrow array, classified with Arrow
    compute (continuation, tag, ``ER``, blank), records and the tag of each continuation line found with
    cumulative sums and maxima (NumPy), the cited references (most of the lines) built as a table without a loop;
    each record's other fields go through :func:`_record`, as in :func:`_read_plain`.

    Returns ``(read, cited)``, or None — having added nothing — when the file needs the record-by-record reader,
    which names each problem: text outside a record, a line that is neither a tag nor a continuation, a record cut
    off before ``ER``, line breaks other than ``\n``/``\r\n``, white space other than spaces at the ends of a
    line or value. Same output as :func:`_read_plain` (tests/sources/test_wos_fast.py)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    data = text.encode("utf-8")
    if any(c in data for c in _OTHER_BREAKS):
        return None
    # the lines as one Arrow string array over the text without its newlines (no Python string per line)
    nl = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    body = data.replace(b"\n", b"")
    offsets = np.concatenate([[0], nl - np.arange(len(nl)), [len(body)]]).astype(np.int64)
    n = len(offsets) - 1
    lines = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(body))

    def np_(x: pa.Array) -> np.ndarray:
        return x.to_numpy(zero_copy_only=False)

    if pc.any(pc.match_substring_regex(lines, _ODD)).as_py():
        return None
    cont = np_(pc.starts_with(lines, "   "))
    rstrip = pc.utf8_rtrim(lines, " ")
    er = ~cont & np_(pc.equal(rstrip, "ER"))
    tagl = ~cont & ~er & np_(pc.match_substring_regex(lines, r"^[A-Z][A-Z0-9](?: .*)?$"))
    blank = np_(pc.equal(rstrip, ""))
    skip = blank | np_(pc.starts_with(lines, "FN ")) | np_(pc.starts_with(lines, "VR ")) | np_(pc.equal(rstrip, "EF"))
    tag2 = pc.utf8_slice_codeunits(lines, 0, 2)
    idx = np.arange(n)
    # segment = number of ER lines before the line; a record runs from its segment's first PT tag line to its ER
    seg = np.cumsum(er) - er
    n_seg = int(er.sum()) + 1
    ispt = tagl & np_(pc.equal(tag2, "PT"))
    pt_of_seg = np.full(n_seg, n, dtype=np.int64)  # n: no PT in the segment
    pts = idx[ispt]
    first = np.unique(seg[pts], return_index=True)
    pt_of_seg[first[0]] = pts[first[1]]
    er_of_seg = np.full(n_seg, n, dtype=np.int64)
    er_of_seg[: n_seg - 1] = idx[er]
    pt = pt_of_seg[seg]
    outside = idx < pt  # before the segment's PT, or a segment without one (pt = n)
    if (outside & ~skip).any() or (~outside & ~(er | cont | tagl | blank)).any() or pt_of_seg[-1] < n:
        return None  # stray text (a stray ER too), a line neither tag nor continuation, or a truncated record
    has = pt_of_seg < n
    starts, ends = pt_of_seg[has], er_of_seg[has]  # 0-based lines of PT and ER
    rec_of_seg = np.cumsum(has) - 1
    # items: the tag and continuation lines inside records, with the tag line each belongs to
    item = ~outside & (cont | tagl)
    owner = np.maximum.accumulate(np.where(tagl, idx, -1))
    is_cr = item & np_(pc.equal(tag2, "CR"))[np.maximum(owner, 0)]
    # a CR item is the line after its first three characters (the tag and its space, or continuation spaces),
    # stripped: line.strip() of a continuation line, the tag line's value stripped; empty items are no reference
    cr_val = pc.utf8_trim(pc.utf8_slice_codeunits(lines.filter(pa.array(is_cr)), 3), " ")
    cr_ok = np_(pc.not_equal(cr_val, ""))
    cr_r = rec_of_seg[seg[is_cr]][cr_ok]
    cr_raw = cr_val.filter(pa.array(cr_ok))
    n_refs = np.bincount(cr_r, minlength=len(starts))
    # every other field: per record, tag → values in file order (a tag line's value as matched, a continuation
    # line stripped), through the per-record code
    other = item & ~is_cr
    o_r = rec_of_seg[seg[other]].tolist()
    o_tag = tag2.take(pa.array(owner[other])).to_pylist()
    o_line = lines.filter(pa.array(other)).to_pylist()
    o_cont = cont[other].tolist()
    by_rec: list[dict[str, list[str]]] = [{} for _ in range(len(starts))]
    for r, t, v, c in zip(o_r, o_tag, o_line, o_cont, strict=True):
        by_rec[r].setdefault(t, []).append(v.strip() if c else v[3:])
    uts: list[str | None] = []
    for r, tags in enumerate(by_rec):
        s, e = int(starts[r]), int(ends[r])
        raw = lambda s=s, e=e: "\n".join(lines.slice(s, e - s + 1).to_pylist())  # noqa: E731 - rejected only
        uts.append(_record(tags, s + 1, raw, b, rejects, seen, None, int(n_refs[r])))
    citing = pa.array(uts, pa.string()).take(pa.array(cr_r))
    ordinal = np.arange(len(cr_r)) - np.searchsorted(cr_r, cr_r, side="left")  # position within the record
    cited = pa.table({"citing_id": citing, "ordinal": pa.array(ordinal, pa.int32()), "raw": cr_raw.cast(pa.string())},
                     schema=_RAW_CITED)
    return len(starts), cited.filter(pc.is_valid(cited["citing_id"]))


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
        refs = [r.strip() for r in tags.pop("CR", []) if r.strip()]
        ut = _record(tags, rec.line, lambda r=rec: r.raw.rstrip("\r\n"), b, rejects, seen, None, len(refs))
        if ut is not None:
            _add_refs(cited, ut, refs)
    return read


def _add_refs(cited: _Cited, ut: str, refs: list[str]) -> None:
    cited[0].extend([ut] * len(refs))
    cited[1].extend(range(len(refs)))
    cited[2].extend(refs)


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
    raw: Callable[[], str],
    b: Builder,
    rejects: Rejects,
    seen: set[str],
    problem: tuple[str, str | None] | None,
    n_refs: int,
) -> str | None:
    """One record's canonical rows (its cited references, ``n_refs`` non-empty CR items, are the caller's);
    returns its UT, or None when it is rejected (``raw()`` gives its text for the quarantine)."""
    ut = _ut_of(tags)
    if problem is not None:
        rejects.add(line, ut, problem[1], problem[0], raw())
        return None
    if not ut or not _UT.match(ut):
        rejects.add(line, ut, "UT", f"UT {ut!r} is not a Web of Science accession number (WOS:…)" if ut else "no UT", raw())
        return None
    try:
        year = to_int(_joined(tags, "PY"))
    except ValueError:
        rejects.add(line, ut, "PY", f"PY {_joined(tags, 'PY')!r} is not an integer", raw())
        return None
    try:
        cited = to_int(_joined(tags, "TC"))
    except ValueError:
        rejects.add(line, ut, "TC", f"TC {_joined(tags, 'TC')!r} is not an integer", raw())
        return None
    try:
        wtype, retracted = doc_type(_joined(tags, "DT"))
    except ValueError as exc:
        rejects.add(line, ut, "DT", f"DT: {exc}", raw())
        return None
    if ut in seen:
        rejects.add(line, ut, "UT", "duplicate_id: the UT appears earlier in the file", raw())
        return None
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
    b.works.append(
        {
            "work_id": ut, "doi": norm_doi(_joined(tags, "DI")), "title": _joined(tags, "TI"), "publication_year": year,
            "publication_date": _date(year, _joined(tags, "PD")), "type": wtype, "language": language(_joined(tags, "LA")),
            "source_id": sid, "source_type": stype if sid else None, "is_retracted": retracted, "cited_by_count": cited,
            "referenced_works_count": to_int_safe(_joined(tags, "NR")) if n_refs == 0 else n_refs,
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
    return ut


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
    SELECT _i, raw, list_transform(string_split(trim(raw), ','), x -> trim(x)) AS p FROM refs
), r2 AS (
    SELECT *, CASE WHEN regexp_matches(p[1], '^\d{4}$') THEN 1 WHEN regexp_matches(coalesce(p[2], ''), '^\d{4}$') THEN 2 END AS yi
    FROM r
), parsed AS (
SELECT _i, raw,
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
SELECT doi, first_author, year, source_title, volume, first_page, title FROM parsed ORDER BY _i
"""


def _sorted(refs: pa.Table) -> bool:
    """Rows already in (citing_id, ordinal) order, without nulls (checked column-wise)."""
    c, o = refs.column("citing_id").combine_chunks(), refs.column("ordinal").combine_chunks()
    if c.null_count or o.null_count:
        return False
    a, b = c.slice(0, len(c) - 1), c.slice(1)
    same = pc.equal(a, b)
    ok = pc.or_(pc.less(a, b), pc.and_(same, pc.less(o.slice(0, len(o) - 1), o.slice(1))))
    return bool(pc.all(ok).as_py())


def parse_references(refs: pa.Table) -> pa.Table:
    """Parse WoS cited references (``Aria M, 2017, J INFORMETR, V11, P959, DOI 10.1016/j.joi.2017.08.007``)
    given as ``citing_id, ordinal, raw`` into :data:`~junkan.sources.batch.CITED_SCHEMA` columns (one DuckDB
    query). The first of several DOIs (``DOI [a, b]``) is kept; ``[Anonymous]`` has no first author; the
    source title is the abbreviation WoS prints; titles are not printed (null)."""
    # Arrow sorts the rows and encodes the strings (each distinct string once); DuckDB parses the distinct strings;
    # the parsed columns go back to the rows with Arrow's take (no join or sort of the rows in DuckDB).
    refs = refs.select(["citing_id", "ordinal", "raw"])
    if refs.num_rows > 1 and not _sorted(refs):
        refs = refs.take(pc.sort_indices(refs, [("citing_id", "ascending"), ("ordinal", "ascending")]))
    enc = pc.dictionary_encode(refs.column("raw")).combine_chunks()
    distinct = enc.dictionary
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if len(distinct) < 100_000:
            con.execute("SET threads = 1")
        con.register("refs", pa.table({"_i": pa.array(range(len(distinct)), pa.int64()), "raw": distinct}))
        parsed = con.execute(_REF_SQL).fetch_arrow_table()
    finally:
        con.close()
    rows = parsed.take(enc.indices)  # null raw → null index → null parsed values
    cols = {"citing_id": refs.column("citing_id"), "ordinal": refs.column("ordinal"), "raw": refs.column("raw")}
    return pa.table({**cols, **{n: rows.column(n) for n in parsed.column_names}})
