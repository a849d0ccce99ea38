"""Merge export batches (Scopus, Web of Science, OpenAlex CSV) and an existing store into one store version.

Every work row of every input — the batches and, when given, the published store (``base``) — is a *record*
``(data_source, source_record_id)``. The merger, all in DuckDB over Arrow tables:

1. **Same record.** A record id seen again (the same file ingested twice, or the same WoS UT in two files) is
   one record: the later batch's copy wins; base rows are joined by id (``id`` keys include every id listed
   in the store's ``work_sources``).
2. **Duplicates.** Records are grouped into works by connected components over shared ids and DOIs
   (``doi``), then by the title key ``NFKC, case folded, letters and digits only (title) | year | first-author
   surname+initial`` (``title-key``). The title key never joins two records with *different* DOIs: a DOI-less
   group joins the one DOI group sharing its title key, and stays apart when two or more share it (counted as
   ``ambiguous_title_keys`` in the report).
3. **One record per work.** The work id is the OpenAlex id (``W…``) when a record has one, else the id of the
   record first in ``precedence``, then the smallest id. Each ``works`` column takes the non-null value of the
   record first in precedence (ties: smallest record id; a batch before the base). Lists are taken whole from
   one record, the first in precedence that has any: authorships (with their institutions and countries,
   whose positions only align within one source; ``authors_count`` and the distinct country and institution
   counts come with that list), work_topics, work_funders, work_awards, work_funding_texts, work_biblio.
4. **References.** Printed references (``SourceBatch.cited`` and the store's ``cited_references``) are
   matched to the merged works by :func:`junkan.sources.refmatch.match_references` (doi, key, synthetic ``R:``
   id). A work's reference list is the list of its record first in precedence that has one (OpenAlex ids or
   matched printed references), plus the links of its other records that resolve to works of the store; each
   distinct ``(citing, cited)`` pair once. An unmatched printed reference of a second source is not added as a
   link (it would duplicate, under a synthetic id, a reference the first list already holds under its real
   id), but it is kept in ``cited_references`` with its match.
5. **Provenance.** ``work_sources``: every record and how it joined (canonical, id, doi, title-key);
   ``field_provenance``: for works with two or more records, which record supplied each field and list.

Default precedence ``openalex, wos, scopus, openalex-csv``: OpenAlex first because its ids, topics,
institutions and countries are what every indicator and the mobility module use, and because OpenAlex
countries come from institutions rather than from parsing printed addresses; Web of Science before Scopus for
the remaining fields because its records carry the complete printed addresses and reference lists; the
OpenAlex web CSV last because it is a lossy flattening of the OpenAlex record. So WoS/Scopus authors,
addresses and countries are kept only for works OpenAlex does not describe or describes without authors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from junkan.errors import ConfigError, IngestError
from junkan.model.schema import TABLES, arrow_schema
from junkan.sources.batch import AUDIT_SCHEMA, CITED_SCHEMA, SourceBatch, _empty
from junkan.sources.refmatch import install_macros, match_references, nfkc, work_keys
from junkan.store import Store, VersionWriter, file_sha256, open_store

__all__ = [
    "DEFAULT_PRECEDENCE",
    "LIST_GROUPS",
    "MergeReport",
    "ingest_batches",
    "merge",
    "merge_store",
    "write_report",
]

log = logging.getLogger(__name__)

DEFAULT_PRECEDENCE = ("openalex", "wos", "scopus", "openalex-csv")

#: Work lists taken whole from one record (first table of a group decides who has the list).
LIST_GROUPS: dict[str, tuple[str, ...]] = {
    "authorships": ("authorships", "authorship_institutions", "authorship_countries"),
    "work_topics": ("work_topics",),
    "work_funders": ("work_funders",),
    "work_awards": ("work_awards",),
    "work_funding_texts": ("work_funding_texts",),
    "work_biblio": ("work_biblio",),
}
_COMPUTED = {"works", "references", "work_sources", "field_provenance", "cited_references", "address_audit", "quarantine"}
_META = {"work_id", "data_source", "input_id"}
#: works columns that describe the authorship list and so come with it
_AUTHOR_COUNTS = ("authors_count", "countries_distinct_count", "institutions_distinct_count")

Progress = Callable[[str, int, int], None]

#: Below this many works a merge runs DuckDB on one thread (measured: faster for small inputs).
_PARALLEL_FROM = 20_000


def _groups() -> dict[str, tuple[str, ...]]:
    """LIST_GROUPS plus any other work-keyed table of the schema (each its own list), so new tables merge too."""
    groups = {g: tuple(t for t in ts if t in TABLES) for g, ts in LIST_GROUPS.items()}
    groups = {g: ts for g, ts in groups.items() if ts}
    grouped = {t for ts in groups.values() for t in ts}
    for name, t in TABLES.items():
        if name not in _COMPUTED and name not in grouped and t.key and t.key[0] == "work_id":
            groups[name] = (name,)
    return groups


def _entity_tables() -> list[str]:
    grouped = {t for ts in _groups().values() for t in ts}
    return [n for n in TABLES if n not in _COMPUTED and n not in grouped]


@dataclass
class MergeReport:
    """What a merge did: one row per record of the batches (``matches``) and counts per input and in total."""

    matches: pa.Table  #: data_source, source_record_id, input_id, file, work_id, matched_by, with_existing, records
    inputs: list[dict[str, Any]]  #: per batch: read, kept, rejected, duplicate_records, merged_* , new_works
    references: dict[str, int]  #: printed references of this run by how they were matched (doi, key, synthetic)
    references_all: dict[str, int]  #: every printed reference in the result (this run's and the store's)
    works_before: int
    works_after: int
    links: int  #: rows of ``references`` in the result
    ambiguous_title_keys: int
    precedence: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(i["read"] for i in self.inputs)

    @property
    def kept(self) -> int:
        return sum(i["kept"] for i in self.inputs)

    @property
    def rejected(self) -> int:
        return sum(i["rejected"] for i in self.inputs)

    def summary(self) -> dict[str, Any]:
        keys = ("read", "kept", "rejected", "duplicate_records", "merged_with_existing", "merged_across_inputs",
                "new_works")
        return {
            **{k: sum(int(i.get(k, 0)) for i in self.inputs) for k in keys},
            "works_before": self.works_before,
            "works_after": self.works_after,
            "references_by_match": dict(self.references),
            "references_all_by_match": dict(self.references_all),
            "reference_links": self.links,
            "ambiguous_title_keys": self.ambiguous_title_keys,
            "precedence": list(self.precedence),
        }


# --------------------------------------------------------------------------------------------------
# helpers


def _conform(table: pa.Table | None, name: str) -> pa.Table:
    """A table with exactly the store schema of ``name`` (missing columns null, extra columns dropped)."""
    schema = arrow_schema(name)
    if table is None:
        return _empty(schema)
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=pa.schema([pa.field(f.name, f.type) for f in schema]))


def _read_base(store: Store, name: str) -> pa.Table:
    p = store.table_path(name)
    if not p.exists():  # a version written before the table existed
        return _conform(None, name)
    return _conform(pq.read_table(p), name)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rank_sql(col: str, precedence: Sequence[str]) -> str:
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(precedence))
    return f"(CASE {col} {whens} ELSE {len(precedence)} END)"


def _propagate(con: duckdb.DuckDBPyConnection, nodes: str, edges: str, out: str) -> None:
    """Connected components by label propagation: ``nodes(n, label)`` and ``edges(n, k)`` → ``out(n, label)``.

    Each round gives every key the smallest label of its nodes and every node the smallest label of its keys;
    it stops when no label changes (the number of rounds is the component diameter, small for duplicates).
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT n, label FROM {nodes}")
    for _ in range(10_000):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _lab_next AS
                WITH kl AS (SELECT e.k, min(l.label) AS label FROM {edges} e JOIN {out} l USING (n) GROUP BY e.k)
                SELECT l.n, least(l.label, coalesce(min(kl.label), l.label)) AS label
                FROM {out} l LEFT JOIN {edges} e USING (n) LEFT JOIN kl USING (k)
                GROUP BY l.n, l.label"""
        )
        changed = con.execute(
            f"SELECT count(*) FROM _lab_next x JOIN {out} l USING (n) WHERE x.label <> l.label"
        ).fetchone()[0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM _lab_next")
        if not changed:
            return
    raise IngestError("duplicate detection did not converge")  # pragma: no cover - bounded by the node count


# --------------------------------------------------------------------------------------------------
# the merge


def merge(
    batches: Sequence[SourceBatch],
    *,
    base: Store | None = None,
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
    input_ids: Sequence[int] | None = None,
) -> tuple[dict[str, pa.Table], MergeReport]:
    """Merge ``batches`` (and the tables of ``base``) into one set of canonical store tables.

    Parameters
    ----------
    batches
        Canonical records of export files (:class:`~junkan.sources.batch.SourceBatch`); each must reconcile
        (read = kept + rejected).
    base
        A published store version whose works take part in the merge (``None``: a new store).
    precedence
        Sources in order of preference (see the module docstring); a source not listed comes last.
    input_ids
        The manifest ``input_id`` of each batch (default: after the base's inputs, in batch order).

    Returns
    -------
    (tables, report)
        ``tables``: every store table (store schemas); ``report``: a :class:`MergeReport`.
    """
    precedence = tuple(precedence)
    if len(set(precedence)) != len(precedence):
        raise ConfigError(f"precedence lists a source twice: {', '.join(precedence)}")
    for b in batches:
        b.check_accounting()
    if input_ids is None:
        start = (max((int(i["input_id"]) for i in base.manifest.get("inputs", [])), default=-1) + 1) if base else 0
        input_ids = [start + i for i in range(len(batches))]
    if len(input_ids) != len(batches):
        raise ConfigError("input_ids must give one id per batch")
    groups = _groups()

    # -- every table of every input, with _b = batch index (-1: the base)
    frames: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    if base is not None:
        for name in TABLES:
            t = _read_base(base, name)
            frames[name].append(t.append_column("_b", pa.array([-1] * t.num_rows, pa.int32())))
    for bi, (b, iid) in enumerate(zip(batches, input_ids, strict=True)):
        for name in TABLES:
            if name in ("quarantine", "work_sources", "field_provenance", "cited_references", "address_audit"):
                continue
            t = _conform(b.tables.get(name), name)
            if name == "works":
                n = t.num_rows
                t = t.set_column(t.column_names.index("data_source"), "data_source", pa.array([b.source] * n, pa.string()))
                t = t.set_column(t.column_names.index("input_id"), "input_id", pa.array([int(iid)] * n, pa.int32()))
            frames[name].append(t.append_column("_b", pa.array([bi] * t.num_rows, pa.int32())))
        q = _conform(b.rejected, "quarantine")
        q = q.set_column(0, "input_id", pa.array([int(iid)] * q.num_rows, pa.int32()))
        frames["quarantine"].append(q.append_column("_b", pa.array([bi] * q.num_rows, pa.int32())))
    audit_schema = pa.schema([pa.field(f.name, f.type) for f in AUDIT_SCHEMA] + [pa.field("_b", pa.int32())])
    audit_frames = [_empty(audit_schema)]
    cited_frames = []
    for bi, b in enumerate(batches):
        a = b.audit
        a = pa.Table.from_arrays(
            [a.column(f.name).cast(f.type) if f.name in a.column_names else pa.nulls(a.num_rows, f.type) for f in AUDIT_SCHEMA]
            + [pa.array([bi] * a.num_rows, pa.int32())],
            schema=audit_schema,
        )
        audit_frames.append(a)
        c = b.cited.select([n for n in CITED_SCHEMA.names if n in b.cited.column_names])
        c = pa.Table.from_arrays(
            [c.column(f.name).cast(f.type) if f.name in c.column_names else pa.nulls(c.num_rows, f.type) for f in CITED_SCHEMA],
            schema=CITED_SCHEMA,
        )
        cited_frames.append(c.append_column("_b", pa.array([bi] * c.num_rows, pa.int32())))

    def concat(name: str) -> pa.Table:
        schema = pa.schema([*[pa.field(f.name, f.type) for f in arrow_schema(name)], pa.field("_b", pa.int32())])
        parts = [p.cast(schema) for p in frames[name]]
        return pa.concat_tables(parts) if parts else _empty(schema)

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if sum(b.kept for b in batches) + (base.row_count("works") if base else 0) < _PARALLEL_FROM:
            con.execute("SET threads = 1")  # small merges: ~100 tiny statements, where threads only add overhead
        install_macros(con)
        for name in TABLES:
            t = concat(name)
            if name == "works":
                t = nfkc(t, ["title"])
            if name == "authorships":
                t = nfkc(t, ["raw_author_name", "author_name"])
            con.register(f"all_{name}", t)
        cschema = pa.schema([*CITED_SCHEMA, pa.field("_b", pa.int32())])
        batch_cited = pa.concat_tables(cited_frames) if cited_frames else _empty(cschema)
        con.register("batch_cited", batch_cited)
        con.register("batch_audit", pa.concat_tables(audit_frames))
        tables, report = _merge_sql(con, batches, input_ids, base, precedence, groups, batch_cited)
    finally:
        con.close()
    return tables, report


def _merge_sql(
    con: duckdb.DuckDBPyConnection,
    batches: Sequence[SourceBatch],
    input_ids: Sequence[int],
    base: Store | None,
    precedence: tuple[str, ...],
    groups: dict[str, tuple[str, ...]],
    batch_cited: pa.Table,
) -> tuple[dict[str, pa.Table], MergeReport]:
    rank = _rank_sql
    # 1. records (one per (source, id); a later batch's copy wins over an earlier one)
    con.execute(
        f"""CREATE TEMP TABLE rec AS
            SELECT row_number() OVER (ORDER BY _b, work_id) AS n, *, data_source AS _src, work_id AS _rid,
                   {rank('data_source', precedence)} AS _rank, _b = -1 AS _base
            FROM (SELECT *, row_number() OVER (PARTITION BY _b = -1, data_source, work_id ORDER BY _b DESC) AS _dup
                  FROM all_works) WHERE _dup = 1"""
    )
    con.execute("ALTER TABLE rec DROP COLUMN _dup")
    con.execute(
        """CREATE TEMP TABLE fa AS SELECT _b, work_id,
               jk_author(first(coalesce(raw_author_name, author_name) ORDER BY author_position)) AS ak
           FROM all_authorships GROUP BY _b, work_id"""
    )
    # keys: ids (and the ids the base lists in work_sources), DOIs, title keys
    con.execute(
        """CREATE TEMP TABLE keys AS
           SELECT n, 'id:' || _rid AS k, 'id' AS kind FROM rec
           UNION SELECT r.n, 'id:' || ws.source_record_id, 'id' FROM rec r JOIN all_work_sources ws
                 ON r._base AND ws._b = -1 AND ws.work_id = r._rid
           UNION SELECT n, 'doi:' || jk_doi(doi), 'doi' FROM rec WHERE jk_doi(doi) IS NOT NULL
           UNION SELECT r.n, 'tk:' || jk_title(r.title) || '|' || r.publication_year || '|' || fa.ak, 'tk'
                 FROM rec r JOIN fa ON fa._b = r._b AND fa.work_id = r._rid
                 WHERE jk_title(r.title) IS NOT NULL AND r.publication_year IS NOT NULL AND fa.ak IS NOT NULL"""
    )
    if base is None and _each_record_alone(con):
        log.debug("merge: every record is its own work, no base: the direct path")
        return _merge_alone(con, batches, input_ids, precedence, groups, batch_cited)
    # 2. duplicates: ids and DOIs, then title keys for groups without a DOI
    con.execute("CREATE TEMP TABLE nodes AS SELECT n, n AS label FROM rec")
    con.execute("CREATE TEMP TABLE e1 AS SELECT n, k FROM keys WHERE kind <> 'tk'")
    _propagate(con, "nodes", "e1", "c1")
    con.execute(
        """CREATE TEMP TABLE c1_doi AS SELECT c1.label AS c, bool_or(jk_doi(r.doi) IS NOT NULL) AS has_doi
           FROM c1 JOIN rec r USING (n) GROUP BY c1.label"""
    )
    con.execute(
        """CREATE TEMP TABLE tk AS SELECT k.k, c1.label AS c, d.has_doi FROM keys k JOIN c1 USING (n)
           JOIN c1_doi d ON d.c = c1.label WHERE k.kind = 'tk'"""
    )
    con.execute("CREATE TEMP TABLE nodes2 AS SELECT c AS n, c AS label FROM c1_doi WHERE NOT has_doi")
    con.execute("CREATE TEMP TABLE e2 AS SELECT DISTINCT c AS n, k FROM tk WHERE NOT has_doi")
    _propagate(con, "nodes2", "e2", "c2")
    con.execute(
        """CREATE TEMP TABLE attach AS
           SELECT c2.label AS g, count(DISTINCT t2.c) AS n_targets, min(t2.c) AS target
           FROM c2 JOIN tk t1 ON t1.c = c2.n LEFT JOIN tk t2 ON t2.k = t1.k AND t2.has_doi
           GROUP BY c2.label"""
    )
    ambiguous = con.execute("SELECT count(*) FROM attach WHERE n_targets > 1").fetchone()[0]
    con.execute(
        """CREATE TEMP TABLE comp AS
           SELECT c1.n, CASE WHEN d.has_doi THEN c1.label
                             WHEN a.n_targets = 1 THEN a.target
                             ELSE coalesce(c2.label, c1.label) END AS comp
           FROM c1 JOIN c1_doi d ON d.c = c1.label LEFT JOIN c2 ON c2.n = c1.label LEFT JOIN attach a ON a.g = c2.label"""
    )
    # 3. canonical id per work; every id → its work
    con.execute(
        """CREATE TEMP TABLE canon AS
           SELECT comp, first(_rid ORDER BY NOT regexp_full_match(_rid, 'W[0-9]+'), _rank, _rid, _base) AS work_id,
                  first(n ORDER BY NOT regexp_full_match(_rid, 'W[0-9]+'), _rank, _rid, _base) AS cn,
                  bool_or(_base) AS with_base, count(*) AS records,
                  count(DISTINCT _b) FILTER (WHERE NOT _base) AS batches
           FROM rec JOIN comp USING (n) GROUP BY comp"""
    )
    con.execute(
        """CREATE TEMP TABLE rc AS SELECT r.*, c.comp, c.work_id AS cid, c.with_base FROM rec r
           JOIN comp USING (n) JOIN canon c USING (comp)"""
    )
    con.execute(
        """CREATE TEMP TABLE idmap AS SELECT DISTINCT substr(k.k, 4) AS old_id, rc.cid AS work_id
           FROM keys k JOIN rc USING (n) WHERE k.kind = 'id'"""
    )
    # how each record joined its work
    con.execute(
        """CREATE TEMP TABLE how AS
           SELECT rc.n, CASE
               WHEN rc._rid = rc.cid THEN 'canonical'
               WHEN EXISTS (SELECT 1 FROM keys a JOIN keys b ON a.k = b.k AND a.n <> b.n JOIN comp cb ON cb.n = b.n
                            WHERE a.n = rc.n AND a.kind = 'id' AND cb.comp = rc.comp) THEN 'id'
               WHEN EXISTS (SELECT 1 FROM keys a JOIN keys b ON a.k = b.k AND a.n <> b.n JOIN comp cb ON cb.n = b.n
                            WHERE a.n = rc.n AND a.kind = 'doi' AND cb.comp = rc.comp) THEN 'doi'
               ELSE 'title-key' END AS matched_by
           FROM rc"""
    )

    # 4. per-field suppliers: the base's field_provenance says who supplied a base row's field
    fields = [c for c in TABLES["works"].column_names if c not in _META]
    lists = [*groups, "references"]
    piv = ", ".join(
        f"max(data_source) FILTER (WHERE field = '{f}') AS {_q('s_' + f)}, "
        f"max(source_record_id) FILTER (WHERE field = '{f}') AS {_q('i_' + f)}"
        for f in fields + lists
    )
    con.execute(f"CREATE TEMP TABLE fpp AS SELECT work_id, {piv} FROM all_field_provenance WHERE _b = -1 GROUP BY work_id")
    sup = []
    for f in fields + lists:
        s, i = _q("s_" + f), _q("i_" + f)
        # one sortable string per field: precedence rank, supplier id, base last (\x01 keeps tuple order)
        sup.append(
            f"coalesce(p.{s}, rc._src) AS {s}, coalesce(p.{i}, rc._rid) AS {i}, "
            f"printf('%03d', {rank(f'coalesce(p.{s}, rc._src)', precedence)}) || chr(1) || coalesce(p.{i}, rc._rid) "
            f"|| chr(1) || _base::INTEGER AS {_q('o_' + f)}"
        )
    con.execute(f"CREATE TEMP TABLE rx AS SELECT rc.*, {', '.join(sup)} FROM rc LEFT JOIN fpp p ON rc._base AND p.work_id = rc._rid")

    def order(f: str) -> str:
        return _q("o_" + f)

    aggs = []
    for f in fields:
        cond = f"FILTER (WHERE {_q(f)} IS NOT NULL)"
        for col in (f, "s_" + f, "i_" + f):
            agg = f"arg_min({_q(col)}, {order(f)}) {cond}"
            if f in _AUTHOR_COUNTS and "authorships" in groups:
                # counts follow the authorship list: from the first record in precedence that has one
                agg = f"coalesce(arg_min({_q(col)}, {order('authorships')}) FILTER (WHERE _has_auth AND {_q(f)} IS NOT NULL), {agg})"
            aggs.append(f"{agg} AS {_q(col)}")
    con.execute(
        f"""CREATE TEMP TABLE mw AS
            SELECT comp, any_value(cid) AS work_id,
                   first(data_source ORDER BY n = cn DESC) AS data_source,
                   first(input_id ORDER BY n = cn DESC) AS input_id, {', '.join(aggs)}
            FROM (SELECT rx.*, EXISTS (SELECT 1 FROM all_authorships a WHERE a._b = rx._b AND a.work_id = rx._rid) AS _has_auth
                  FROM rx) rx JOIN canon USING (comp) GROUP BY comp"""
    )
    works_cols = ", ".join(_q(c) for c in TABLES["works"].column_names)
    out: dict[str, pa.Table] = {"works": con.execute(f"SELECT {works_cols} FROM mw").to_arrow_table()}

    # lists: the whole list of one record
    for g, tabs in groups.items():
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE sup_{g} AS
                SELECT comp, arg_min(n, {order(g)}) AS n, first({_q('s_' + g)} ORDER BY {order(g)}) AS src,
                       first({_q('i_' + g)} ORDER BY {order(g)}) AS sid
                FROM rx SEMI JOIN (SELECT DISTINCT _b, work_id FROM all_{tabs[0]}) h
                     ON h._b = rx._b AND h.work_id = rx._rid
                GROUP BY comp"""
        )
        for t in tabs:
            cols = [c for c in TABLES[t].column_names if c != "work_id"]
            sel = ", ".join(f"x.{_q(c)}" for c in cols)
            key = ", ".join(_q(k) for k in TABLES[t].key)
            out[t] = con.execute(
                f"""SELECT DISTINCT ON ({key}) * FROM (
                        SELECT rx.cid AS work_id{', ' + sel if sel else ''}
                        FROM all_{t} x JOIN rx ON x._b = rx._b AND x.work_id = rx._rid
                        JOIN sup_{g} s ON s.n = rx.n)"""
            ).to_arrow_table()

    _entities(con, batches, precedence, out)

    # quarantine: the base's rows and the batches' rejected records
    qcols = ", ".join(_q(c) for c in TABLES["quarantine"].column_names)
    out["quarantine"] = con.execute(f"SELECT {qcols} FROM all_quarantine ORDER BY input_id, line").to_arrow_table()

    # 5. printed references: this run's (winning records only) and the store's (unless re-read now)
    con.execute(
        """CREATE TEMP TABLE pr AS
           SELECT rc.n, rc._src AS data_source, rc._rid AS source_record_id, c.ordinal, c.raw, c.doi, c.first_author,
                  c.year, c.source_title, c.volume, c.first_page, c.title, true AS new
           FROM batch_cited c JOIN rc ON rc._b = c._b AND rc._rid = c.citing_id AND NOT rc._base
           UNION ALL
           SELECT rc.n, x.data_source, x.source_record_id, x.ordinal, x.raw, x.doi, x.first_author, x.year,
                  x.source_title, x.volume, x.first_page, x.title, false
           FROM all_cited_references x JOIN rc ON rc._base AND x._b = -1 AND rc._rid = x.work_id
           WHERE NOT EXISTS (SELECT 1 FROM rec r2 WHERE NOT r2._base AND r2._src = x.data_source
                             AND r2._rid = x.source_record_id)"""
    )
    pr = con.execute("SELECT * FROM pr ORDER BY n, data_source, source_record_id, ordinal").to_arrow_table()
    keys_table = work_keys({"works": out["works"], "authorships": out["authorships"], "sources": out["sources"],
                            "work_biblio": out.get("work_biblio", pa.table({"work_id": pa.array([], pa.string())}))})
    matched = match_references(
        pr.rename_columns(["n", "data_source", "citing_id", *pr.column_names[3:]]), keys_table
    ) if pr.num_rows else None
    if matched is not None:
        con.register("prm", matched)
    else:
        con.execute(
            "CREATE TEMP TABLE prm AS SELECT *, NULL::VARCHAR AS cited_work_id, NULL::VARCHAR AS matched_by, "
            "NULL::INTEGER AS candidates, NULL::VARCHAR AS citing_id FROM pr LIMIT 0"
        )
    # native reference lists (OpenAlex ids): the batches', and the base's links not derived from printed ones
    con.execute(
        """CREATE TEMP TABLE links AS
           SELECT rc.n, coalesce(m.work_id, x.cited_work_id) AS cited
           FROM all_references x JOIN rc ON rc._b = x._b AND rc._rid = x.work_id
           LEFT JOIN idmap m ON m.old_id = x.cited_work_id
           WHERE x._b <> -1 OR NOT EXISTS (SELECT 1 FROM all_cited_references d
                  WHERE d._b = -1 AND d.work_id = x.work_id AND d.cited_work_id = x.cited_work_id)
           UNION ALL SELECT n, cited_work_id FROM prm"""
    )
    con.execute(
        f"""CREATE TEMP TABLE sup_references AS
            SELECT comp, arg_min(n, {order('references')}) AS n,
                   first({_q('s_references')} ORDER BY {order('references')}) AS src,
                   first({_q('i_references')} ORDER BY {order('references')}) AS sid
            FROM rx SEMI JOIN (SELECT DISTINCT n FROM links) l USING (n) GROUP BY comp"""
    )
    out["references"] = con.execute(
        """SELECT DISTINCT rx.cid AS work_id, l.cited AS cited_work_id
           FROM links l JOIN rx USING (n) LEFT JOIN sup_references s ON s.comp = rx.comp
           WHERE l.cited IS NOT NULL AND (s.n = l.n OR l.cited IN (SELECT work_id FROM canon))"""
    ).to_arrow_table()
    cr_cols = [c for c in TABLES["cited_references"].column_names if c != "work_id"]
    out["cited_references"] = con.execute(
        f"""SELECT rx.cid AS work_id, {', '.join('p.' + _q(c if c != 'source_record_id' else 'citing_id') + ' AS ' + _q(c) for c in cr_cols)}
            FROM prm p JOIN rx USING (n)"""
    ).to_arrow_table()

    # address → country audit: this run's records and the store's (unless re-read now)
    out["address_audit"] = con.execute(
        """SELECT rc.cid AS work_id, rc._src AS data_source, rc._rid AS source_record_id, a.author_position, a.address,
                  a.matched, a.country_code, a.rule
           FROM batch_audit a JOIN rc ON rc._b = a._b AND rc._rid = a.work_id AND NOT rc._base
           UNION ALL
           SELECT rc.cid, x.data_source, x.source_record_id, x.author_position, x.address, x.matched, x.country_code, x.rule
           FROM all_address_audit x JOIN rc ON rc._base AND x._b = -1 AND rc._rid = x.work_id
           WHERE NOT EXISTS (SELECT 1 FROM rec r2 WHERE NOT r2._base AND r2._src = x.data_source
                             AND r2._rid = x.source_record_id)"""
    ).to_arrow_table()

    # 6. work_sources: the records of this run, and the base's (implicit: each base work is its own record)
    con.execute(
        """CREATE TEMP TABLE ws_base AS
           SELECT ws.work_id AS old_work, ws.data_source, ws.source_record_id, ws.input_id, ws.matched_by
           FROM all_work_sources ws WHERE ws._b = -1
           UNION ALL
           SELECT r._rid, r._src, r._rid, r.input_id, 'canonical' FROM rec r
           WHERE r._base AND NOT EXISTS (SELECT 1 FROM all_work_sources ws WHERE ws._b = -1 AND ws.work_id = r._rid)"""
    )
    out["work_sources"] = con.execute(
        """SELECT rc.cid AS work_id, rc._src AS data_source, rc._rid AS source_record_id, rc.input_id, h.matched_by
           FROM rc JOIN how h USING (n) WHERE NOT rc._base
           UNION ALL
           SELECT rc.cid, w.data_source, w.source_record_id, w.input_id,
                  CASE WHEN w.source_record_id = rc.cid THEN 'canonical'
                       WHEN w.matched_by = 'canonical' THEN CASE WHEN h.matched_by = 'canonical' THEN 'id' ELSE h.matched_by END
                       ELSE w.matched_by END
           FROM ws_base w JOIN rc ON rc._base AND rc._rid = w.old_work JOIN how h USING (n)
           WHERE NOT EXISTS (SELECT 1 FROM rec r2 WHERE NOT r2._base AND r2._src = w.data_source
                             AND r2._rid = w.source_record_id)"""
    ).to_arrow_table()
    con.register("ws_out", out["work_sources"])

    # 7. field provenance for works described by two or more records
    parts = [
        f"SELECT work_id, '{f}' AS field, {_q('s_' + f)} AS data_source, {_q('i_' + f)} AS source_record_id FROM mw "
        f"WHERE {_q(f)} IS NOT NULL"
        for f in fields
    ]
    parts += [
        f"SELECT c.work_id, '{g}', s.src, s.sid FROM sup_{g} s JOIN canon c USING (comp)" for g in [*groups, "references"]
    ]
    out["field_provenance"] = con.execute(
        f"""SELECT * FROM ({' UNION ALL '.join(parts)}) fp
            WHERE work_id IN (SELECT work_id FROM ws_out GROUP BY work_id HAVING count(*) >= 2)"""
    ).to_arrow_table()

    # report
    files = [str(b.path) for b in batches]
    matches = con.execute(
        """SELECT rc._src AS data_source, rc._rid AS source_record_id, rc.input_id, rc._b AS batch, rc.cid AS work_id,
                  h.matched_by, rc.with_base AS with_existing, c.records
           FROM rc JOIN how h USING (n) JOIN canon c USING (comp) WHERE NOT rc._base
           ORDER BY rc._b, rc._rid"""
    ).to_arrow_table()
    file_col = pa.array([files[b] for b in matches["batch"].to_pylist()], pa.string())
    matches = matches.append_column("file", file_col).drop_columns(["batch"])
    inputs = []
    for bi, (b, iid) in enumerate(zip(batches, input_ids, strict=True)):
        row = con.execute(
            """SELECT count(*) FILTER (WHERE rc.with_base),
                      count(*) FILTER (WHERE NOT rc.with_base AND c.batches > 1),
                      count(DISTINCT rc.comp) FILTER (WHERE NOT rc.with_base AND c.records >= 1
                            AND rc.n = c.cn)
               FROM rc JOIN canon c USING (comp) WHERE NOT rc._base AND rc._b = ?""",
            [bi],
        ).fetchone()
        distinct = con.execute("SELECT count(*) FROM rec WHERE _b = ?", [bi]).fetchone()[0]
        inputs.append(
            {
                "input_id": int(iid),
                "source": b.source,
                "path": str(b.path),
                "read": int(b.read),
                "kept": int(b.kept),
                "rejected": int(b.rejected.num_rows),
                "duplicate_records": int(b.kept - distinct),
                "merged_with_existing": int(row[0]),
                "merged_across_inputs": int(row[1]),
                "new_works": int(row[2]),
            }
        )

    def counts(where: str) -> dict[str, int]:
        if matched is None:
            return {}
        rows = con.execute(f"SELECT matched_by, count(*) FROM prm WHERE {where} GROUP BY 1 ORDER BY 1").fetchall()
        return {str(k): int(v) for k, v in rows}

    report = MergeReport(
        matches=matches,
        inputs=inputs,
        references=counts("new"),
        references_all=counts("true"),
        works_before=int(con.execute("SELECT count(*) FROM rec WHERE _base").fetchone()[0]),
        works_after=out["works"].num_rows,
        links=out["references"].num_rows,
        ambiguous_title_keys=int(ambiguous),
        precedence=precedence,
        warnings=[w for b in batches for w in b.warnings],
    )
    return {name: _conform(out.get(name), name) for name in TABLES}, report


def _each_record_alone(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every work row is its own work: no record id repeated, none null, no id, DOI or title key
    shared by two records (the common case of a new store from one export, or from files that do not overlap)."""
    return bool(con.execute(
        """SELECT (SELECT count(*) FROM rec) = (SELECT count(*) FROM all_works)
                  AND NOT EXISTS (SELECT 1 FROM rec WHERE _rid IS NULL)
                  AND NOT EXISTS (SELECT 1 FROM keys GROUP BY k HAVING count(*) > 1)"""
    ).fetchone()[0])


def _merge_alone(
    con: duckdb.DuckDBPyConnection,
    batches: Sequence[SourceBatch],
    input_ids: Sequence[int],
    precedence: tuple[str, ...],
    groups: dict[str, tuple[str, ...]],
    batch_cited: pa.Table,
) -> tuple[dict[str, pa.Table], MergeReport]:
    """The merge when :func:`_each_record_alone` holds and there is no base (issue #10: speed).

    The general statements then reduce to identities — each component is one record, its own canonical work,
    the supplier of every field and list — so the tables are taken as they are: works from ``rec``, lists of
    the records that have them (deduplicated on the table key as in the general path), references matched by
    :func:`match_references` on the printed references as read (no re-sorting), ``work_sources`` all
    ``canonical``, no ``field_provenance`` (no work has two records). The outputs are the general path's
    (tests/sources/test_merge_alone.py compares both on WoS, Scopus and OpenAlex-CSV samples)."""
    out: dict[str, pa.Table] = {}
    works_cols = ", ".join(_q(c) for c in TABLES["works"].column_names)
    out["works"] = con.execute(f"SELECT {works_cols} FROM rec").to_arrow_table()
    for tabs in groups.values():
        for t in tabs:
            key = ", ".join(_q(k) for k in TABLES[t].key)
            cols = ", ".join(f"x.{_q(c)}" for c in TABLES[t].column_names)
            has_list = "" if t == tabs[0] else (
                f" SEMI JOIN (SELECT DISTINCT _b, work_id FROM all_{tabs[0]}) h ON h._b = x._b AND h.work_id = x.work_id")
            out[t] = con.execute(
                f"""SELECT DISTINCT ON ({key}) * FROM (
                        SELECT {cols} FROM all_{t} x SEMI JOIN rec r ON r._b = x._b AND r._rid = x.work_id{has_list})"""
            ).to_arrow_table()
    _entities(con, batches, precedence, out)
    qcols = ", ".join(_q(c) for c in TABLES["quarantine"].column_names)
    out["quarantine"] = con.execute(f"SELECT {qcols} FROM all_quarantine ORDER BY input_id, line").to_arrow_table()

    # printed references: the batches' rows as read (every record is a winner); rows of no record are dropped
    stray = con.execute("SELECT count(*) FROM batch_cited c ANTI JOIN rec r ON r._b = c._b AND r._rid = c.citing_id").fetchone()[0]
    pr = batch_cited if not stray else con.execute(
        "SELECT c.* FROM batch_cited c SEMI JOIN rec r ON r._b = c._b AND r._rid = c.citing_id").to_arrow_table()
    # a record's data_source is its batch's source (set in merge())
    pr = pr.append_column("data_source", pa.array([b.source for b in batches], pa.string()).take(pr["_b"]))
    keys_table = work_keys({"works": out["works"], "authorships": out["authorships"], "sources": out["sources"],
                            "work_biblio": out.get("work_biblio", pa.table({"work_id": pa.array([], pa.string())}))})
    matched = match_references(pr, keys_table) if pr.num_rows else None
    cr_names = TABLES["cited_references"].column_names
    if matched is not None:
        con.register("prm", matched.select(["citing_id", "cited_work_id"]))
        cr = {c: matched[c] for c in cr_names if c in matched.column_names}
        cr["work_id"] = cr["source_record_id"] = matched["citing_id"]
        out["cited_references"] = pa.table({c: cr[c] for c in cr_names})
    else:
        con.execute("CREATE TEMP TABLE prm AS SELECT NULL::VARCHAR AS citing_id, NULL::VARCHAR AS cited_work_id LIMIT 0")
    out["references"] = con.execute(
        """SELECT DISTINCT work_id, cited_work_id FROM (
               SELECT x.work_id, x.cited_work_id FROM all_references x SEMI JOIN rec r ON r._b = x._b AND r._rid = x.work_id
               UNION ALL SELECT citing_id, cited_work_id FROM prm) WHERE cited_work_id IS NOT NULL"""
    ).to_arrow_table()
    out["address_audit"] = con.execute(
        """SELECT a.work_id, r._src AS data_source, a.work_id AS source_record_id, a.author_position, a.address,
                  a.matched, a.country_code, a.rule
           FROM batch_audit a JOIN rec r ON r._b = a._b AND r._rid = a.work_id"""
    ).to_arrow_table()
    out["work_sources"] = con.execute(
        """SELECT _rid AS work_id, _src AS data_source, _rid AS source_record_id, input_id, 'canonical' AS matched_by
           FROM rec"""
    ).to_arrow_table()

    files = [str(b.path) for b in batches]
    matches = con.execute(
        """SELECT _src AS data_source, _rid AS source_record_id, input_id, _b AS batch, _rid AS work_id,
                  'canonical' AS matched_by, false AS with_existing, 1::BIGINT AS records
           FROM rec ORDER BY _b, _rid"""
    ).to_arrow_table()
    file_col = pa.array([files[b] for b in matches["batch"].to_pylist()], pa.string())
    matches = matches.append_column("file", file_col).drop_columns(["batch"])
    per_batch = dict(con.execute("SELECT _b, count(*) FROM rec GROUP BY _b").fetchall())
    inputs = [
        {"input_id": int(iid), "source": b.source, "path": str(b.path), "read": int(b.read), "kept": int(b.kept),
         "rejected": int(b.rejected.num_rows), "duplicate_records": int(b.kept - per_batch.get(bi, 0)),
         "merged_with_existing": 0, "merged_across_inputs": 0, "new_works": int(per_batch.get(bi, 0))}
        for bi, (b, iid) in enumerate(zip(batches, input_ids, strict=True))
    ]
    counts: dict[str, int] = {}
    if matched is not None:
        vc = matched["matched_by"].value_counts()
        counts = {str(k): int(v) for k, v in sorted(zip(vc.field(0).to_pylist(), vc.field(1).to_pylist(), strict=True))}
    report = MergeReport(
        matches=matches, inputs=inputs, references=counts, references_all=dict(counts), works_before=0,
        works_after=out["works"].num_rows, links=out["references"].num_rows, ambiguous_title_keys=0,
        precedence=precedence, warnings=[w for b in batches for w in b.warnings],
    )
    empty = {name: _conform(_empty(arrow_schema(name)), name) for name in TABLES}  # nullable, as DuckDB's
    return {name: _conform(out.get(name, empty[name]), name) for name in TABLES}, report


def _entities(con: duckdb.DuckDBPyConnection, batches: Sequence[SourceBatch], precedence: tuple[str, ...],
              out: dict[str, pa.Table]) -> None:
    """Entity tables (institutions, sources, topics, authors …): one row per key, a batch before the base, then by
    precedence, then the later batch."""
    con.execute("CREATE TEMP TABLE brank AS SELECT * FROM (VALUES (-1, 0)) v(_b, r)")
    for bi, b in enumerate(batches):
        con.execute("INSERT INTO brank VALUES (?, ?)", [bi, precedence.index(b.source) if b.source in precedence else len(precedence)])
    for t in _entity_tables():
        key = ", ".join(f"x.{_q(k)}" for k in TABLES[t].key)
        cols = ", ".join(_q(c) for c in TABLES[t].column_names)
        out[t] = con.execute(
            f"""SELECT {cols} FROM (SELECT x.*, row_number() OVER (PARTITION BY {key}
                     ORDER BY x._b = -1, br.r, x._b DESC) AS _rk
                 FROM all_{t} x JOIN brank br USING (_b)) WHERE _rk = 1"""
        ).to_arrow_table()


# --------------------------------------------------------------------------------------------------
# publishing and reporting


def ingest_batches(
    batches: Sequence[SourceBatch],
    store: str | os.PathLike[str],
    *,
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
    progress: Progress | None = None,
) -> tuple[Store, MergeReport]:
    """Merge ``batches`` into the store at ``store`` (created when absent) and publish a new version atomically.

    A file already in the store (same checksum and source) is skipped; when nothing is new the published version
    stays as it is. The manifest lists every input with read, kept and rejected (read = kept + rejected for
    each), and the merge summary (duplicates merged, works before and after, references by match).
    """
    tick = progress or (lambda stage, done, total: None)
    root = Path(store)
    root.mkdir(parents=True, exist_ok=True)
    prev: Store | None = open_store(root) if (root / "CURRENT").exists() else None
    prev_inputs: list[dict[str, Any]] = list(prev.manifest.get("inputs", [])) if prev else []
    done = {(i.get("sha256"), i.get("source")) for i in prev_inputs}
    todo, skipped, shas = [], [], []
    for b in batches:
        sha = file_sha256(b.path) if Path(b.path).is_file() else None
        if sha is not None and ((sha, b.source) in done or (sha, b.source) in {(s, t.source) for s, t in zip(shas, todo, strict=True)}):
            skipped.append(str(b.path))
            continue
        todo.append(b)
        shas.append(sha)
    if prev is not None and not todo:
        log.info("nothing new to merge; store %s stays at version %s", root, prev.version)
        empty = MergeReport(matches=pa.table({}), inputs=[], references={}, references_all={},
                            works_before=prev.row_count("works"), works_after=prev.row_count("works"),
                            links=prev.row_count("references"), ambiguous_title_keys=0, precedence=tuple(precedence),
                            warnings=[f"skipped (already in the store): {p}" for p in skipped])
        return prev, empty
    tick("merge", 0, 2)
    tables, report = merge(todo, base=prev, precedence=precedence)
    tick("merge", 1, 2)
    with VersionWriter(root) as w:
        for name, t in tables.items():
            w.write_table(name, t)
        new_inputs = []
        for info, b, sha in zip(report.inputs, todo, shas, strict=True):
            p = Path(b.path)
            new_inputs.append({
                **info,
                "path": str(p.resolve()) if p.exists() else str(p),
                "entity": "works",
                "format": b.source,
                "partition_date": None,
                "sha256": sha,
                "size": p.stat().st_size if p.is_file() else None,
                "ingested_in": w.version,
            })
        read, kept, rejected = report.read, report.kept, report.rejected
        if read != kept + rejected:  # pragma: no cover - each batch was checked
            raise IngestError(f"accounting does not reconcile: read {read} != kept {kept} + rejected {rejected}")
        reasons: dict[str, int] = {}
        for b in todo:
            for r in b.rejected.column("reason").to_pylist() if b.rejected.num_rows else []:
                k = str(r).split(":")[0][:60]
                reasons[k] = reasons.get(k, 0) + 1
        manifest = {
            "inputs": prev_inputs + new_inputs,
            "counts": {"read": read, "kept": kept, "rejected": rejected, "replaced": 0},
            "rejected_by_reason": dict(sorted(reasons.items())),
            "merge": report.summary(),
            "warnings": report.warnings,
            "skipped_inputs": skipped,
            "previous_version": prev.version if prev else None,
            "options": {"precedence": list(precedence)},
            "simulated": bool(prev.manifest.get("simulated")) if prev else False,
        }
        published = w.publish(manifest)
    tick("merge", 2, 2)
    return published, report


def write_report(report: MergeReport, path: str | os.PathLike[str], *, provenance: dict[str, Any] | None = None) -> Path:
    """Write the merge report's record table (CSV, JSON, Parquet or XLSX by the file suffix) with the summary."""
    from junkan.export import write_table

    out = Path(path)
    fmt = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".xlsx": "xlsx"}.get(out.suffix.lower())
    if fmt is None:
        raise ConfigError(f"--report {out}: use a .csv, .json, .parquet or .xlsx file")
    prov = {**(provenance or {}), "merge": report.summary(), "inputs": report.inputs}
    return write_table(report.matches, out, fmt, prov)


def merge_store(
    store: str | os.PathLike[str],
    *,
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
    progress: Progress | None = None,
) -> tuple[Store, MergeReport]:
    """Find duplicates again among the works of the published version of ``store`` and publish the result.

    Useful after ``junkan ingest openalex`` added OpenAlex records of works an export had already brought in.
    The report's ``matches`` lists the records of every work described by two or more records.
    """
    tick = progress or (lambda stage, done, total: None)
    prev = open_store(store)
    tick("merge", 0, 2)
    tables, report = merge([], base=prev, precedence=precedence)
    tick("merge", 1, 2)
    ws = tables["work_sources"]
    if ws.num_rows:
        con = duckdb.connect()
        try:
            con.register("ws", ws)
            report.matches = con.execute(
                """SELECT data_source, source_record_id, input_id, work_id, matched_by, count(*) OVER (PARTITION BY work_id) AS records
                   FROM ws QUALIFY records >= 2 ORDER BY work_id, data_source, source_record_id"""
            ).to_arrow_table()
        finally:
            con.close()
    with VersionWriter(prev.root) as w:
        for name, t in tables.items():
            w.write_table(name, t)
        manifest = {k: v for k, v in prev.manifest.items()
                    if k not in ("schema_version", "junkan_version", "version", "created", "tables", "content_hash",
                                 "content_hash_method")}
        manifest.update({
            "counts": {"read": 0, "kept": 0, "rejected": 0, "replaced": 0},
            "merge": report.summary(),
            "previous_version": prev.version,
            "options": {"precedence": list(precedence)},
        })
        published = w.publish(manifest)
    tick("merge", 2, 2)
    return published, report
