"""Cited references as printed (Scopus, Web of Science) → works: DOI first, then a normalised key.

A printed reference (``SourceBatch.cited``: first author, year, source title, volume, first page, DOI) is
matched to a work of the store in three steps, all in DuckDB over Arrow tables (no Python loop over rows):

1. **doi**: the reference's DOI equals a work's DOI (both lower case, without ``https://doi.org/``).
2. **key**: same first-author key (normalised surname + first initial) and the same publication year, and no
   disagreement on volume, first page or source title where both sides have them, with at least two of the
   three agreeing (one — the source title — when the work has neither volume nor page: exports' own works carry
   them only in ``work_biblio``). Source titles agree when equal after normalisation or when one is an abbreviation of the
   other (every word of ``J INFORMETR`` starts a word of ``Journal of Informetrics``, in order; words such as
   *of*, *the*, *and* are ignored). A reference with two or more candidate works is not matched (``ambiguous``).
3. **synthetic**: any other reference gets a stable id ``R:`` + 16 hex digits of the MD5 of its normalised
   key, so that two papers citing the same unmatched reference co-cite the same node and no reference is lost.
   The key is the DOI when printed; else author, year, volume and first page (the source title is left out
   when volume and page are known, so that a WoS abbreviation and a Scopus full title give the same id); else
   author, year, source, volume and page; else the normalised reference string. A DOI-less reference whose
   key equals that of unmatched references carrying exactly one DOI takes that DOI's id.

Names: ``Aria M``, ``Aria M.``, ``Aria, Massimo`` and ``Massimo Aria`` all give the key ``aria|m``: with a
comma, the surname is before it; otherwise a last word of one to four capital initials (``RN``, ``J.-P.``) marks
the surname-first form, and any other name is read given-name first. Accents are removed and Unicode is
normalised (NFKC) before comparing.
"""

from __future__ import annotations

import logging

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from junkan.sources.batch import CITED_SCHEMA

__all__ = [
    "MATCH_METHODS",
    "MATCHED_SCHEMA",
    "WORK_KEYS_SCHEMA",
    "install_macros",
    "match_references",
    "nfkc",
    "work_keys",
]

log = logging.getLogger(__name__)

#: How a reference was matched, in the order tried.
MATCH_METHODS = ("doi", "key", "synthetic")

#: ``match_references`` output: the cited columns plus the match.
MATCHED_SCHEMA = pa.schema(
    [*CITED_SCHEMA, ("cited_work_id", pa.string()), ("matched_by", pa.string()), ("candidates", pa.int32())]
)

#: What ``match_references`` needs to know about each work (any missing column is taken as null).
WORK_KEYS_SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("doi", pa.string()),
        ("publication_year", pa.int32()),
        ("first_author", pa.string()),
        ("source_title", pa.string()),
        ("source_abbreviation", pa.string()),
        ("volume", pa.string()),
        ("first_page", pa.string()),
    ]
)

#: The columns a reference's match depends on (``title`` is not used).
_MATCH_COLS = ["doi", "first_author", "year", "source_title", "volume", "first_page", "raw"]

# Words ignored when comparing source titles (they are dropped from abbreviations).
_STOP = "of|the|and|for|in|on|at|to|de|la|le|les|des|der|die|und|fur|et|y|a|an|l|d|del|di"

_MACROS = [
    # DOI: lower case, no resolver prefix, no surrounding spaces; '' → NULL
    r"""CREATE OR REPLACE MACRO jk_doi(d) AS nullif(trim(regexp_replace(lower(trim(d)),
        '^(https?://)?(dx\.)?doi\.org/|^doi:?\s*', '')), '')""",
    # letters and digits only (any script), lower case, accents removed
    r"CREATE OR REPLACE MACRO jk_alnum(s) AS nullif(regexp_replace(lower(strip_accents(s)), '[^\p{L}\p{N}]+', '', 'g'), '')",
    r"CREATE OR REPLACE MACRO jk_words(s) AS trim(regexp_replace(lower(strip_accents(s)), '[^\p{L}\p{N}]+', ' ', 'g'))",
    # volume / first page: the first run of letters and digits after a "V", "Vol.", "P", "pp." label, without
    # leading zeros ("V11" → 11, "pp. 959-975" → 959, "e0123" → e0123)
    r"""CREATE OR REPLACE MACRO jk_num(s) AS nullif(ltrim(regexp_extract(regexp_replace(lower(strip_accents(s)),
        '^\s*(vol(ume)?|pp|pages?|v|p)\.?\s*([0-9])', '\3'), '[a-z0-9]+'), '0'), '')""",
    # source title: words without stop words
    rf"""CREATE OR REPLACE MACRO jk_src(s) AS nullif(trim(regexp_replace(' ' || jk_words(s) || ' ',
        ' (({_STOP}) )+', ' ', 'g')), '')""",
    # is `a` an abbreviation of `f` (both jk_src): every word of a starts a word of f, in order
    r"""CREATE OR REPLACE MACRO jk_abbrev(a, f) AS a = f OR regexp_full_match(f,
        array_to_string(list_transform(string_split(a, ' '), lambda x: x || '\S*'), '(?: \S+)*? '))""",
    r"CREATE OR REPLACE MACRO jk_src_ok(a, f) AS a IS NOT NULL AND f IS NOT NULL AND (jk_abbrev(a, f) OR jk_abbrev(f, a))",
    # name → surname|initial (see the module docstring)
    r"""CREATE OR REPLACE MACRO jk_tokens(n) AS string_split(trim(regexp_replace(n, '\s+', ' ', 'g')), ' ')""",
    r"""CREATE OR REPLACE MACRO jk_author(n) AS CASE
        WHEN n IS NULL OR trim(n) = '' THEN NULL
        WHEN contains(n, ',') THEN
            jk_alnum(split_part(n, ',', 1)) || '|' || coalesce(left(jk_alnum(split_part(n, ',', 2)), 1), '')
        WHEN len(jk_tokens(n)) > 1 AND regexp_full_match(jk_tokens(n)[-1], '(\p{Lu}\.?-?){1,4}') THEN
            jk_alnum(array_to_string(jk_tokens(n)[1:len(jk_tokens(n)) - 1], ' ')) || '|'
            || left(jk_alnum(jk_tokens(n)[-1]), 1)
        ELSE jk_alnum(jk_tokens(n)[-1]) || '|' || coalesce(left(jk_alnum(jk_tokens(n)[1]), 1), '')
        END""",
    # title key for duplicate detection: NFKC (done in Arrow), case folded, no punctuation or space
    r"CREATE OR REPLACE MACRO jk_title(t) AS nullif(replace(jk_alnum(t), 'ß', 'ss'), '')",
    r"CREATE OR REPLACE MACRO jk_rid(k) AS 'R:' || left(md5(k), 16)",
]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the normalisation macros (``jk_doi``, ``jk_author``, ``jk_src`` …) on a DuckDB connection."""
    for sql in _MACROS:
        con.execute(sql)


def nfkc(table: pa.Table, columns: list[str]) -> pa.Table:
    """Unicode NFKC of string columns (Arrow compute, vectorised)."""
    for name in columns:
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, pc.utf8_normalize(table.column(name), "NFKC"))
    return table


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def work_keys(tables: dict[str, pa.Table]) -> pa.Table:
    """The matching keys of every work of canonical ``tables`` (works, authorships, sources, work_biblio).

    First author: the authorship with the lowest position (its printed name, else its display name); source
    title: ``work_biblio.source_title`` else the venue's name in ``sources``; abbreviation, volume, first page:
    ``work_biblio``.
    """
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if tables["works"].num_rows < 100_000:
            con.execute("SET threads = 1")
        empty = {
            "authorships": pa.table({"work_id": pa.array([], pa.string()), "author_position": pa.array([], pa.int32()),
                                     "raw_author_name": pa.array([], pa.string()), "author_name": pa.array([], pa.string())}),
            "sources": pa.table({"source_id": pa.array([], pa.string()), "display_name": pa.array([], pa.string())}),
            "work_biblio": _conform(pa.table({}), pa.schema([("work_id", pa.string()), ("volume", pa.string()),
                                                             ("first_page", pa.string()), ("source_title", pa.string()),
                                                             ("source_abbreviation", pa.string())])),
        }
        for name in ("works", "authorships", "sources", "work_biblio"):
            t = tables.get(name)
            con.register(f"t_{name}", t if t is not None else empty[name])
        out = con.execute(
            """WITH fa AS (
                   SELECT work_id, first(coalesce(raw_author_name, author_name) ORDER BY author_position) AS first_author
                   FROM t_authorships GROUP BY work_id),
               wb AS (SELECT DISTINCT ON (work_id) * FROM t_work_biblio)
               SELECT w.work_id, w.doi, CAST(w.publication_year AS INTEGER) AS publication_year, fa.first_author,
                      coalesce(wb.source_title, s.display_name) AS source_title, wb.source_abbreviation,
                      wb.volume, wb.first_page
               FROM t_works w LEFT JOIN fa USING (work_id) LEFT JOIN wb USING (work_id)
               LEFT JOIN (SELECT DISTINCT ON (source_id) source_id, display_name FROM t_sources) s
                      ON s.source_id = w.source_id"""
        ).to_arrow_table()
    finally:
        con.close()
    return _conform(out, WORK_KEYS_SCHEMA)


def match_references(cited: pa.Table, works: pa.Table) -> pa.Table:
    """Match printed references to works: DOI, then normalised key, else a synthetic ``R:`` id.

    Parameters
    ----------
    cited
        References as printed (:data:`junkan.sources.batch.CITED_SCHEMA`; extra columns are kept).
    works
        One row per work with :data:`WORK_KEYS_SCHEMA` columns (:func:`work_keys` builds it from store
        tables; missing columns are taken as null).

    Returns
    -------
    pa.Table
        Every input row, in input order, with ``cited_work_id`` (never null), ``matched_by`` (``doi``, ``key``
        or ``synthetic``) and ``candidates`` (number of works the key matched; 0 or ≥ 2 for a synthetic id).
    """
    extra = [c for c in cited.column_names if c not in CITED_SCHEMA.names]
    base = _conform(cited, CITED_SCHEMA)
    wk = nfkc(_conform(works, WORK_KEYS_SCHEMA), ["first_author", "source_title", "source_abbreviation"])
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if base.num_rows + wk.num_rows < 100_000:
            con.execute("SET threads = 1")  # tiny statements: threads only add overhead
        install_macros(con)
        # every step below runs once per distinct printed reference (the matching columns and the text): a cited
        # item repeats across citing records, and each row's result depends only on these values
        con.register("c_all", base.select(_MATCH_COLS).append_column("_src_row", pa.array(range(base.num_rows), pa.int64())))
        cols = ", ".join(_MATCH_COLS)
        con.execute(
            f"""CREATE TEMP TABLE c_grp AS SELECT row_number() OVER () - 1 AS _row, * FROM (
                    SELECT {cols}, list(_src_row) AS _rows FROM c_all GROUP BY {cols})"""
        )
        # NFKC on the distinct rows only (rows equal before NFKC are equal after it)
        con.register("c_in", nfkc(con.execute(f"SELECT _row, {cols} FROM c_grp").fetch_arrow_table(),
                                  ["first_author", "source_title", "raw"]))
        con.register("w_in", wk)
        # each normalisation once per distinct printed string (references repeat: far fewer distinct strings)
        con.execute(
            """CREATE TEMP TABLE r AS
               WITH d_doi AS (SELECT doi, jk_doi(doi) AS k FROM (SELECT DISTINCT doi FROM c_in WHERE doi IS NOT NULL)),
               d_au AS (SELECT first_author, jk_author(first_author) AS k
                        FROM (SELECT DISTINCT first_author FROM c_in WHERE first_author IS NOT NULL)),
               d_src AS (SELECT source_title, jk_src(source_title) AS k
                         FROM (SELECT DISTINCT source_title FROM c_in WHERE source_title IS NOT NULL)),
               d_num AS (SELECT v, jk_num(v) AS k FROM (SELECT volume AS v FROM c_in WHERE volume IS NOT NULL
                                                         UNION SELECT first_page FROM c_in WHERE first_page IS NOT NULL))
               SELECT c._row, d_doi.k AS k_doi, d_au.k AS k_au, c.year AS k_year, d_src.k AS k_src,
                      dv.k AS k_vol, dp.k AS k_pg, c.raw
               FROM c_in c LEFT JOIN d_doi ON d_doi.doi = c.doi LEFT JOIN d_au ON d_au.first_author = c.first_author
               LEFT JOIN d_src ON d_src.source_title = c.source_title LEFT JOIN d_num dv ON dv.v = c.volume
               LEFT JOIN d_num dp ON dp.v = c.first_page"""
        )
        con.execute(
            """CREATE TEMP TABLE w AS SELECT work_id, jk_doi(doi) AS k_doi, jk_author(first_author) AS k_au,
                   publication_year AS k_year, jk_src(source_title) AS k_src, jk_src(source_abbreviation) AS k_abbr,
                   jk_num(volume) AS k_vol, jk_num(first_page) AS k_pg FROM w_in WHERE work_id IS NOT NULL"""
        )
        # 1. DOI (a DOI shared by several works — should not happen after merging — goes to the smallest id)
        con.execute(
            """CREATE TEMP TABLE m_doi AS SELECT r._row, min(w.work_id) AS work_id
               FROM r JOIN w ON r.k_doi = w.k_doi GROUP BY r._row"""
        )
        # 2. key: block on author key and year, then no disagreement and at least two agreements. Decided once
        # per distinct reference key (a cited item repeats across citing records), and the source-title test
        # (a regex) once per distinct pair of titles met in a block.
        con.execute(
            """CREATE TEMP TABLE rk AS SELECT DISTINCT k_au, k_year, k_vol, k_pg, k_src
               FROM r ANTI JOIN m_doi USING (_row) WHERE k_au IS NOT NULL AND k_year IS NOT NULL"""
        )
        con.execute(
            """CREATE TEMP TABLE mk AS
               WITH p AS (
                   SELECT rk.*, w.work_id, w.k_vol AS w_vol, w.k_pg AS w_pg, w.k_src AS w_src, w.k_abbr AS w_abbr
                   FROM rk JOIN w ON rk.k_au = w.k_au AND rk.k_year = w.k_year
                   WHERE (rk.k_vol IS NULL OR w.k_vol IS NULL OR rk.k_vol = w.k_vol)
                     AND (rk.k_pg IS NULL OR w.k_pg IS NULL OR rk.k_pg = w.k_pg)),
               s AS (
                   SELECT k_src, w_src, w_abbr, jk_src_ok(k_src, w_src) OR jk_src_ok(k_src, w_abbr) AS ok
                   FROM (SELECT DISTINCT k_src, w_src, w_abbr FROM p))
               SELECT p.k_au, p.k_year, p.k_vol, p.k_pg, p.k_src, min(p.work_id) AS work_id,
                      count(DISTINCT p.work_id)::INTEGER AS n
               FROM p JOIN s ON s.k_src IS NOT DISTINCT FROM p.k_src AND s.w_src IS NOT DISTINCT FROM p.w_src
                             AND s.w_abbr IS NOT DISTINCT FROM p.w_abbr
               WHERE (p.k_src IS NULL OR (p.w_src IS NULL AND p.w_abbr IS NULL) OR s.ok)
                 AND coalesce(p.k_vol = p.w_vol, false)::INTEGER + coalesce(p.k_pg = p.w_pg, false)::INTEGER
                     + s.ok::INTEGER >= CASE WHEN p.w_vol IS NULL AND p.w_pg IS NULL THEN 1 ELSE 2 END
               GROUP BY p.k_au, p.k_year, p.k_vol, p.k_pg, p.k_src"""
        )
        con.execute(
            """CREATE TEMP TABLE m_key AS
               SELECT r._row, mk.work_id, mk.n
               FROM r ANTI JOIN m_doi USING (_row)
               JOIN mk ON r.k_au = mk.k_au AND r.k_year = mk.k_year AND r.k_vol IS NOT DISTINCT FROM mk.k_vol
                      AND r.k_pg IS NOT DISTINCT FROM mk.k_pg AND r.k_src IS NOT DISTINCT FROM mk.k_src"""
        )
        # 3. synthetic ids for the rest, from the normalised key
        con.execute(
            """CREATE TEMP TABLE u AS
               SELECT r.*, CASE
                   WHEN k_au IS NOT NULL AND k_year IS NOT NULL AND k_vol IS NOT NULL AND k_pg IS NOT NULL
                        THEN concat_ws('|', 'k', k_au, k_year, k_vol, k_pg)
                   WHEN k_au IS NOT NULL OR k_src IS NOT NULL
                        THEN concat_ws('|', 'k', coalesce(k_au, ''), coalesce(CAST(k_year AS VARCHAR), ''),
                                       coalesce(k_src, ''), coalesce(k_vol, ''), coalesce(k_pg, ''))
                   ELSE 'raw|' || coalesce(jk_words(raw), '') END AS nkey
               FROM r ANTI JOIN m_doi USING (_row) ANTI JOIN (SELECT _row FROM m_key WHERE n = 1) USING (_row)"""
        )
        con.execute(
            """CREATE TEMP TABLE key_doi AS SELECT nkey, min(k_doi) AS k_doi FROM u WHERE k_doi IS NOT NULL
               GROUP BY nkey HAVING count(DISTINCT k_doi) = 1"""
        )
        con.execute(
            """CREATE TEMP TABLE m_syn AS
               SELECT u._row, jk_rid(CASE WHEN u.k_doi IS NOT NULL THEN 'doi|' || u.k_doi
                                          WHEN kd.k_doi IS NOT NULL AND NOT starts_with(u.nkey, 'raw|')
                                               THEN 'doi|' || kd.k_doi
                                          ELSE u.nkey END) AS work_id
               FROM u LEFT JOIN key_doi kd ON kd.nkey = u.nkey"""
        )
        res = con.execute(
            """SELECT coalesce(d.work_id, CASE WHEN k.n = 1 THEN k.work_id END, s.work_id) AS cited_work_id,
                      CASE WHEN d.work_id IS NOT NULL THEN 'doi' WHEN k.n = 1 THEN 'key' ELSE 'synthetic' END AS matched_by,
                      CASE WHEN d.work_id IS NOT NULL THEN 1 ELSE coalesce(k.n, 0) END::INTEGER AS candidates
               FROM r LEFT JOIN m_doi d USING (_row) LEFT JOIN m_key k USING (_row) LEFT JOIN m_syn s USING (_row)
               ORDER BY r._row"""
        ).to_arrow_table()
        # back to one row per input row, in input order
        idx = con.execute(
            "SELECT _row FROM (SELECT _row, unnest(_rows) AS _src_row FROM c_grp) ORDER BY _src_row"
        ).to_arrow_table().column(0)
        res = res.take(idx)
    finally:
        con.close()
    out = _conform(cited, CITED_SCHEMA)
    for name in extra:
        out = out.append_column(name, cited.column(name))
    for f in MATCHED_SCHEMA:
        if f.name in res.column_names:
            out = out.append_column(f.name, res.column(f.name).cast(f.type))
    counts = dict(zip(*pc.value_counts(out["matched_by"]).flatten(), strict=True)) if out.num_rows else {}
    log.info("matched %d references: %s", out.num_rows, {str(k): int(v.as_py()) for k, v in counts.items()})
    return out
