"""Helpers shared by the export readers (Scopus CSV, Web of Science, OpenAlex web CSV).

* :func:`read_text`: bytes → text with BOM handling and the encoding fallback (UTF-8, else cp1252/Latin-1
  with a warning), refusing binary files.
* :func:`csv_records`: CSV records with the physical line each one starts on and its raw text, so that a bad
  record is named by line and kept verbatim in the quarantine.
* :class:`Rejects`: the quarantine rows of one file.
* :class:`Builder`: canonical rows collected record by record, turned into a
  :class:`~junkan.sources.batch.SourceBatch` in one go; the address → country step runs once over the
  column of all addresses (:func:`junkan.sources.addresses.countries_of`, DuckDB).
* :meth:`Builder.add_biblio`: the printed locator of a work (volume, issue, pages, source title and
  abbreviation) for ``work_biblio``, which the merger's cited-reference key matching reads.
* Small normalisers: DOI, ISSN, document types, funding statements, synthetic venue ids.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from junkan.errors import BadInputError
from junkan.model.schema import arrow_schema
from junkan.sources import addresses as _addresses
from junkan.sources.batch import AUDIT_SCHEMA, CITED_SCHEMA, SourceBatch, _empty

log = logging.getLogger(__name__)

#: ``input_id`` of every row a reader produces: the merger sets the real index of the input.
UNSET_INPUT = -1

_RAW_CITED = pa.schema([("citing_id", pa.string()), ("ordinal", pa.int32()), ("raw", pa.string())])

csv.field_size_limit(1 << 30)  # Scopus reference lists and WoS abstracts are long


# --------------------------------------------------------------------------------------------------
# text


def read_text(path: Path) -> tuple[str, list[str]]:
    """Decode an export file. Returns ``(text, warnings)``.

    UTF-8 (with or without BOM) and UTF-16 with a BOM (Web of Science "Tab-delimited (Win)") are read as such.
    A file that is not valid UTF-8 is decoded as Windows-1252 (bytes cp1252 leaves undefined as Latin-1) and a
    warning names the first offending line: old Scopus/WoS exports saved by Excel are cp1252, and refusing them
    would lose whole files for a few accented names. A file with NUL bytes (and no UTF-16 BOM) is not a text
    export: :class:`BadInputError`.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise BadInputError("file not found", file=str(path)) from exc
    except IsADirectoryError as exc:
        raise BadInputError("is a directory, not an export file", file=str(path)) from exc
    warnings: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadInputError(f"UTF-16 file with undecodable bytes at offset {exc.start}", file=str(path)) from exc
        return text.lstrip("\ufeff"), warnings
    if b"\x00" in data[:65536]:
        raise BadInputError("binary file (NUL bytes), not a text export", file=str(path))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        text = _decode_cp1252(data)
        msg = (f"{path}: not valid UTF-8 (first bad byte 0x{data[exc.start]:02x} on line {line}); "
               "decoded as Windows-1252")
        log.warning("%s", msg)
        warnings.append(msg)
    return text, warnings


def _decode_cp1252(data: bytes) -> str:
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined: those decode as Latin-1 control characters.
    return "".join(
        chunk.decode("latin-1") if chunk[:1] in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d") else chunk.decode("cp1252")
        for chunk in re.split(rb"([\x81\x8d\x8f\x90\x9d])", data)
        if chunk
    )


@dataclass
class CsvRecord:
    line: int  #: 1-based physical line where the record starts
    fields: list[str]
    raw: str  #: the record's text as in the file


def csv_records(
    text: str, *, file: str | None = None, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL
) -> Iterator[CsvRecord]:
    """Records of a CSV text (header included), each with its start line and raw text.

    Multi-line quoted fields and CRLF are handled by :mod:`csv`; the raw text lets the caller detect a record
    cut in the middle of a quoted field (an odd number of quotes) and keep it in the quarantine.
    """
    lines = io.StringIO(text, newline="").readlines()
    pos = 0

    def feed() -> Iterator[str]:
        nonlocal pos
        while pos < len(lines):
            pos += 1
            yield lines[pos - 1]

    reader = csv.reader(feed(), delimiter=delimiter, quoting=quoting, strict=False)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. NUL inside a field
            raise BadInputError(f"unreadable CSV ({exc})", file=file, line=start) from exc
        raw = "".join(lines[start - 1 : pos])
        rec = CsvRecord(start, fields, raw)
        start = pos + 1
        if not fields and not raw.strip():
            continue
        yield rec


# --------------------------------------------------------------------------------------------------
# quarantine


@dataclass
class Rejects:
    """Rejected records of one file (quarantine rows)."""

    file: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: int | None, record_id: str | None, fld: str | None, reason: str, raw: str | None) -> None:
        self.rows.append(
            {
                "input_id": UNSET_INPUT,
                "file": self.file,
                "line": line,
                "record_id": record_id or None,
                "field": fld,
                "reason": reason,
                "raw": raw,
            }
        )

    def table(self) -> pa.Table:
        schema = arrow_schema("quarantine")
        if not self.rows:  # from_pylist([]) imports pandas
            return _empty(schema)
        return pa.Table.from_pylist(self.rows, schema=schema)


# --------------------------------------------------------------------------------------------------
# normalisers

_DOI = re.compile(r"10\.\d{4,9}/\S+")


def damaged_record(rec: CsvRecord, width: int, record_id: str, rejects: Rejects) -> bool:
    """Reject (and return True for) a CSV record with unbalanced quotes or the wrong number of fields."""
    if rec.raw.count('"') % 2:
        rejects.add(rec.line, record_id or None, None, "unbalanced quotes: the record is truncated or damaged", rec.raw)
        return True
    if len(rec.fields) != width:
        rejects.add(rec.line, record_id or None, None,
                    f"record has {len(rec.fields)} fields, the header has {width} (truncated?)", rec.raw)
        return True
    return False


def norm_doi(value: str | None) -> str | None:
    """``"https://doi.org/10.1016/J.JOI.2017.08.007"`` → ``"10.1016/j.joi.2017.08.007"``; None if no DOI."""
    if not value:
        return None
    m = _DOI.search(value.strip())
    if not m:
        return None
    return m.group(0).rstrip(".,;])").lower()


def norm_issn(value: str | None) -> str | None:
    """``"20552076"`` or ``"2055-2076"`` → ``"2055-2076"``; the first ISSN of a list; None if malformed."""
    if not value:
        return None
    for part in re.split(r"[;,\s]+", value.strip()):
        s = part.replace("-", "").upper()
        if re.fullmatch(r"\d{7}[\dX]", s):
            return f"{s[:4]}-{s[4:]}"
    return None


def venue_id(title: str | None, issn: str | None) -> str | None:
    """Synthetic source id for exports without venue ids: ``issn:XXXX-XXXX`` when an ISSN is printed, else
    ``venue:`` + 16 hex digits of the SHA-1 of the lower-cased, space-collapsed title (the same venue gets the
    same id from Scopus and Web of Science when the ISSN is printed)."""
    if issn:
        return f"issn:{issn}"
    if not title or not title.strip():
        return None
    key = re.sub(r"\s+", " ", title.strip().lower())
    return "venue:" + hashlib.sha1(key.encode()).hexdigest()[:16]


def position_label(i: int, n: int) -> str:
    """OpenAlex's first/middle/last for the authorship at 0-based ``i`` of ``n``."""
    if i == 0:
        return "first"
    return "last" if i == n - 1 else "middle"


#: Scopus "Document Type" and Web of Science DT → OpenAlex work type (docs/sources.md, "Document types").
DOC_TYPES: dict[str, str] = {
    "article": "article",
    "review": "review",
    "conference paper": "article",
    "proceedings paper": "article",
    "conference review": "other",
    "book chapter": "book-chapter",
    "chapter": "book-chapter",
    "book": "book",
    "editorial": "editorial",
    "editorial material": "editorial",
    "letter": "letter",
    "note": "article",
    "short survey": "review",
    "erratum": "erratum",
    "correction": "erratum",
    "correction, addition": "erratum",
    "retracted": "article",
    "retracted publication": "article",
    "retraction": "retraction",
    "data paper": "article",
    "report": "report",
    "preprint": "preprint",
    "meeting abstract": "other",
    "abstract report": "other",
    "book review": "other",
    "news item": "other",
    "biographical-item": "other",
    "item about an individual": "other",
    "reprint": "other",
    "discussion": "other",
    "bibliography": "other",
    "business article": "article",
    "press release": "other",
    "undefined": "other",
    "early access": "article",
}
_RETRACTED = {"retracted", "retracted publication"}


def doc_type(raw: str | None) -> tuple[str | None, bool | None]:
    """``(OpenAlex type, is_retracted)`` for a printed document type; several types (``Article; Early Access``)
    take the first one other than *Early Access*. An unknown type maps to ``other``; no type to ``None``.

    A value made only of separators (``"; ; ;"``) is damaged, not empty: ValueError, so that the reader
    rejects the record (found by fuzzing, issue 11; it used to crash the Scopus and WoS readers)."""
    if not raw or not raw.strip():
        return None, None
    parts = [p.strip().lower() for p in raw.split(";") if p.strip()]
    if not parts:
        raise ValueError(f"document type {raw[:40]!r} holds only separators")
    retracted = any(p in _RETRACTED for p in parts)
    main = [p for p in parts if p != "early access"] or parts
    return DOC_TYPES.get(main[0], "other"), retracted


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&\-]{1,11}$")


def funding_entries_scopus(text: str | None) -> list[tuple[str, list[str]]]:
    """Scopus ``Funding Details``: ``"Name, ACRONYM, (award1, award2); Other"`` (current) or
    ``"Name, ACRONYM: award"`` (older) → ``[(name, [awards])]``; a trailing acronym is dropped from the name."""
    out: list[tuple[str, list[str]]] = []
    if not text:
        return out
    for entry in _split_top(text, ";"):
        entry = entry.strip()
        if not entry or entry.upper() == "NA":
            continue
        awards: list[str] = []
        m = re.search(r",?\s*\(([^()]*)\)\s*$", entry)
        if m:
            awards = [a.strip() for a in m.group(1).split(",") if a.strip()]
            entry = entry[: m.start()].strip()
        else:
            m = re.search(r":\s*([^:]+)$", entry)
            if m:
                awards = [a.strip() for a in m.group(1).split(",") if a.strip()]
                entry = entry[: m.start()].strip()
        parts = [p.strip() for p in entry.split(",")]
        if len(parts) > 1 and _ACRONYM.match(parts[-1]):
            parts = parts[:-1]
        name = ", ".join(p for p in parts if p)
        if name:
            out.append((name, awards))
    return out


def funding_entries_wos(text: str | None) -> list[tuple[str, list[str]]]:
    """Web of Science FU: ``"Name [award1, award2]; Other"`` → ``[(name, [awards])]``."""
    out: list[tuple[str, list[str]]] = []
    if not text:
        return out
    for entry in _split_top(text, ";"):
        entry = entry.strip()
        if not entry:
            continue
        awards: list[str] = []
        m = re.search(r"\[([^\[\]]*)\]\s*$", entry)
        if m:
            awards = [a.strip() for a in m.group(1).split(",") if a.strip()]
            entry = entry[: m.start()].strip()
        if entry:
            out.append((entry, awards))
    return out


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets and parentheses."""
    if not any(c in text for c in "()[]"):
        return text.split(sep)
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


#: Largest magnitude :func:`to_int` accepts: the store's INTEGER columns (years, reference counts) are int32.
INT_LIMIT = 2**31 - 1


def to_int(value: str | None, *, limit: int = INT_LIMIT) -> int | None:
    """``"12"`` → 12, ``""``/``"NA"`` → None; anything else raises ValueError, including an integer beyond
    ``±limit`` (default int32, the type of the store's INTEGER columns; no year or count printed in an export comes
    near it), which Arrow could not store: such a value used to crash every reader with OverflowError (issue 11)."""
    if value is None:
        return None
    v = value.strip()
    if v == "" or v.upper() == "NA":
        return None
    n = int(v)
    if abs(n) > limit:
        raise ValueError(f"integer {v[:40]!r} out of range (beyond ±{limit})")
    return n


def na(value: str | None) -> str | None:
    """Empty strings and Scopus's ``NA`` → None; other values stripped."""
    if value is None:
        return None
    v = value.strip()
    return None if v == "" or v == "NA" else v


# --------------------------------------------------------------------------------------------------
# canonical rows → SourceBatch


@dataclass
class Builder:
    """Canonical rows of one file, collected record by record."""

    source: str
    path: Path
    works: list[dict[str, Any]] = field(default_factory=list)
    authorships: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[tuple[str, int | None, str]] = field(default_factory=list)  # work, position, address
    given_countries: list[dict[str, Any]] = field(default_factory=list)  # countries given by the source
    authorship_institutions: list[dict[str, Any]] = field(default_factory=list)
    institutions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    funders: list[dict[str, Any]] = field(default_factory=list)
    awards: list[dict[str, Any]] = field(default_factory=list)
    funding_texts: list[dict[str, Any]] = field(default_factory=list)
    cited: list[tuple[str, int, str]] = field(default_factory=list)
    biblio: list[dict[str, Any]] = field(default_factory=list)

    def add_biblio(
        self,
        work_id: str,
        *,
        volume: str | None,
        issue: str | None,
        first_page: str | None,
        last_page: str | None,
        source_title: str | None,
        source_abbreviation: str | None,
    ) -> None:
        """One ``work_biblio`` row (values as printed, stripped; empty and ``NA`` → null); nothing when every
        value is null, so that a record without a locator does not hide another record's in the merge."""
        row = {"volume": na(volume), "issue": na(issue), "first_page": na(first_page), "last_page": na(last_page),
               "source_title": na(source_title), "source_abbreviation": na(source_abbreviation)}
        if any(v is not None for v in row.values()):
            self.biblio.append({"work_id": work_id, **row})

    def add_funding(self, work_id: str, entries: list[tuple[str, list[str]]], text: str | None) -> None:
        seen: set[str] = set()
        keys: set[str] = set()
        for name, awards in entries:
            if name not in seen:
                seen.add(name)
                self.funders.append({"work_id": work_id, "funder_id": None, "funder_name": name, "ror": None})
            for a in awards:
                key = f"{name}:{a}"
                if key in keys:
                    continue
                keys.add(key)
                self.awards.append(
                    {"work_id": work_id, "award_key": key, "funder_id": None, "funder_name": name,
                     "funder_award_id": a, "display_name": None}
                )
        if text:
            self.funding_texts.append({"work_id": work_id, "funding_text": text})

    def add_source(self, title: str | None, issn: str | None, stype: str | None) -> str | None:
        sid = venue_id(title, issn)
        if sid and sid not in self.sources:
            self.sources[sid] = {"source_id": sid, "display_name": title, "issn_l": issn, "type": stype, "is_core": None}
        return sid

    def finish(
        self,
        *,
        read: int,
        rejects: Rejects,
        warnings: list[str],
        overrides: pa.Table | str | Path | None,
        parse_cited: Callable[[pa.Table], pa.Table] | None,
    ) -> SourceBatch:
        """The :class:`SourceBatch`: tables in store schemas, countries from the addresses, cited references."""
        def tbl(name: str, rows: list[dict[str, Any]]) -> pa.Table:
            schema = arrow_schema(name)
            if not rows:  # from_pylist([]) imports pandas (~1 s at start-up) for an empty table
                return _empty(schema)
            return pa.Table.from_pylist(rows, schema=schema)

        batch = SourceBatch(source=self.source, path=self.path, read=read)
        batch.warnings.extend(warnings)
        t = batch.tables
        t["works"] = tbl("works", self.works)
        t["authorships"] = tbl("authorships", self.authorships)
        t["authorship_institutions"] = tbl("authorship_institutions", self.authorship_institutions)
        t["institutions"] = tbl("institutions", list(self.institutions.values()))
        t["sources"] = tbl("sources", list(self.sources.values()))
        t["work_funders"] = tbl("work_funders", self.funders)
        t["work_awards"] = tbl("work_awards", self.awards)
        t["work_funding_texts"] = tbl("work_funding_texts", self.funding_texts)
        t["work_biblio"] = tbl("work_biblio", self.biblio)

        # addresses → countries: one DuckDB pass over the column of addresses
        if self.addresses:
            works, positions, addrs = zip(*self.addresses, strict=True)
            dec = _addresses.countries_of(pa.array(addrs, pa.string()), overrides=overrides)
            audit = pa.table(
                {
                    "work_id": pa.array(works, pa.string()),
                    "author_position": pa.array(positions, pa.int32()),
                    "address": dec["address"],
                    "matched": dec["matched"],
                    "country_code": dec["country_code"],
                    "rule": dec["rule"],
                },
                schema=AUDIT_SCHEMA,
            )
        else:
            audit = _empty(AUDIT_SCHEMA)
        batch.audit = audit
        con = duckdb.connect()
        con.register("audit", audit)
        given = tbl("authorship_countries", self.given_countries)
        con.register("given", given)
        ac = con.execute(
            """SELECT DISTINCT work_id, author_position, country_code FROM (
                   SELECT work_id, author_position, country_code FROM audit
                   WHERE author_position IS NOT NULL AND country_code IS NOT NULL
                   UNION ALL SELECT work_id, author_position, country_code FROM given)
               ORDER BY work_id, author_position, country_code"""
        ).fetch_arrow_table()
        con.close()
        t["authorship_countries"] = ac.cast(arrow_schema("authorship_countries"))

        if self.cited and parse_cited is not None:
            cid, ordn, raw = zip(*self.cited, strict=True)
            rc = pa.table(
                {"citing_id": pa.array(cid, pa.string()), "ordinal": pa.array(ordn, pa.int32()), "raw": pa.array(raw, pa.string())},
                schema=_RAW_CITED,
            )
            batch.cited = parse_cited(rc).select(CITED_SCHEMA.names).cast(CITED_SCHEMA)
        batch.rejected = rejects.table()
        batch.check_accounting()
        return batch


#: Language names printed by Scopus ("Language of Original Document") and WoS (LA) → ISO 639-1.
LANGUAGES: dict[str, str] = {
    "english": "en", "japanese": "ja", "chinese": "zh", "german": "de", "french": "fr", "spanish": "es",
    "portuguese": "pt", "russian": "ru", "korean": "ko", "italian": "it", "turkish": "tr", "polish": "pl",
    "czech": "cs", "dutch": "nl", "persian": "fa", "arabic": "ar", "indonesian": "id", "ukrainian": "uk",
    "hungarian": "hu", "croatian": "hr", "serbian": "sr", "swedish": "sv", "norwegian": "no", "danish": "da",
    "finnish": "fi", "greek": "el", "romanian": "ro", "slovenian": "sl", "slovak": "sk", "lithuanian": "lt",
    "malay": "ms", "hebrew": "he", "bulgarian": "bg", "catalan": "ca", "afrikaans": "af", "thai": "th",
    "vietnamese": "vi", "estonian": "et", "latvian": "lv", "icelandic": "is", "bosnian": "bs", "georgian": "ka",
}


def language(raw: str | None) -> str | None:
    """``"English; Chinese"`` → ``"en"`` (the first language); unknown names → None."""
    if not raw or not raw.strip():
        return None
    first = raw.split(";")[0].strip().lower()
    return LANGUAGES.get(first)


def name_key(name: str | None) -> str:
    """Surname + initials key to compare ``"Li Y."``, ``"Y. Li"``, ``"Li, Y."`` and ``"Li, Yufei"``."""
    if not name:
        return ""
    s = name.replace(".", " ").replace(",", " , ")
    toks = s.split()
    if "," in toks:  # "Li , Yufei" → surname before the comma
        i = toks.index(",")
        sur, given = toks[:i], [t for t in toks[i + 1 :] if t != ","]
    else:
        initials = [t for t in toks if re.fullmatch(r"[A-Z]{1,4}|[A-Z]-[A-Z]", t)]
        sur = [t for t in toks if t not in initials]
        given = initials
    letters = "".join(g[0] for g in given if g and g[0].isalpha())
    return "".join(sur).lower() + "|" + letters[:1].lower()
