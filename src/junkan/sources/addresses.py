"""Addresses → countries for Scopus and Web of Science exports (issue #8, item 3).

An address such as ``"Stanford Univ, Dept Phys, Stanford, CA 94305 USA"`` or ``"Hunan Normal University,
Changsha, China"`` is attributed to an ISO 3166-1 alpha-2 code by **rules applied to its comma-separated
components, the last component first** (never by searching for a country name anywhere in the string, which
turns ``"Georgia Ave, Washington DC, USA"`` into Georgia or ``"Jordan Hall, Stanford"`` into Jordan).

Rules, in order of precedence (the first that applies decides; ``rule`` names it in the audit):

==========================  =============================================================================
rule                        applies when
==========================  =============================================================================
``override``                a pattern of the user overrides file matches the address (first row wins);
                            an empty country in the file means "no country"
``us-state``                the last component is a US state code with a ZIP code and/or ``USA``
                            (``CA 94305 USA``, ``CA USA``, ``DC 20052``)
``hk-mo-before-china``      the last component is China and the one before is Hong Kong or Macao
                            (``Kowloon, Hong Kong, Peoples R China`` → HK: the territory as given)
``alias``                   the last component, normalised, is a country name or alias
                            (``Peoples R China``, ``England``, ``South Korea``, ``Dem Rep Congo``, …)
``alias-two-components``    the last two components form an alias (``Korea, Republic of``)
``us-state-name``           the last component is a US state name (``Massachusetts``; not ``Georgia``)
``alias-postcode``          the last component is an alias once tokens with digits are removed
                            (``Japan 113``, ``1081 HV Netherlands``)
``alias-component``         an earlier component (not the first: institution names such as
                            ``Jordan Hall`` are never read as countries) is an alias; nearest to the end wins
``none``                    nothing applies: no country (the audit keeps the address)
==========================  =============================================================================

Normalisation (for aliases only): accents stripped, lower case, ``&`` → ``and``, dots and apostrophes
removed, other punctuation → space, spaces collapsed. The alias data is in ``junkan/data/countries``:
``iso3166.csv`` (every ISO 3166-1 code with its English short name), ``aliases.csv`` (the spellings of
Scopus, Web of Science and common variants) and ``us_states.csv``.

The bulk path (:func:`countries_of`) runs the rules as one DuckDB query over the column of distinct
addresses; :func:`country_of` applies the same query to one string.

>>> country_of("Zhejiang Chinese Med Univ, 548 Binwen Rd, Hangzhou 310053, Zhejiang, Peoples R China.")
('CN', 'Peoples R China', 'alias')
>>> country_of("Georgia Inst Technol, Georgia Ave, Atlanta, GA 30332 USA")
('US', 'GA 30332 USA', 'us-state')
>>> country_of("Jordan Hall, Stanford")
(None, None, 'none')
"""

from __future__ import annotations

import csv
import functools
import re
import threading
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa

from junkan.errors import BadInputError

__all__ = ["ATTRIBUTION_SCHEMA", "OVERRIDES_SCHEMA", "aliases", "countries_of", "country_of", "load_overrides"]

#: Result of :func:`countries_of`: one row per input address, in input order.
ATTRIBUTION_SCHEMA = pa.schema(
    [
        ("address", pa.string()),
        ("country_code", pa.string()),
        ("matched", pa.string()),
        ("rule", pa.string()),
    ]
)

#: A loaded overrides file: ``pattern`` (regular expression, case-insensitive), ``country_code`` (null = none).
OVERRIDES_SCHEMA = pa.schema([("ord", pa.int32()), ("pattern", pa.string()), ("country_code", pa.string())])

_CODE = re.compile(r"^[A-Z]{2}$")

# One normalisation, used for aliases and addresses alike (DuckDB SQL, so both sides agree exactly).
_NORM_MACRO = r"""
CREATE OR REPLACE TEMP MACRO jk_norm(x) AS trim(regexp_replace(regexp_replace(regexp_replace(
    lower(strip_accents(replace(x, '&', ' and '))), '[.''’`]', '', 'g'), '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g'))
"""

_RULES_SQL = r"""
WITH jk_addr AS (
    SELECT row_number() OVER () AS i, address FROM (SELECT DISTINCT address FROM jk_in)
), b0 AS (
    SELECT i, address,
           list_filter(list_transform(string_split(regexp_replace(coalesce(address, ''), '[\s.;,]+$', ''), ','),
                                      c -> trim(c)), c -> c <> '') AS comps
    FROM jk_addr
), b AS (
    SELECT i, address, comps, len(comps) AS n, comps[len(comps)] AS last,
           CASE WHEN len(comps) > 1 THEN comps[len(comps) - 1] END AS prev
    FROM b0
), comp AS (
    SELECT i, n, unnest(comps) AS c, unnest(range(1, n + 1)) AS k FROM b WHERE n > 2
), cand AS (
    SELECT b.i, 0.0 + o.ord / 1e6 AS pr, o.country_code AS code,
           regexp_extract(b.address, o.pattern, 0) AS matched, 'override' AS rule
    FROM b JOIN jk_over o ON regexp_matches(b.address, o.pattern)
    UNION ALL
    SELECT i, 1.0, 'US', last, 'us-state' FROM b
    WHERE (regexp_matches(last, '^[A-Z]{2}(\s+\d{5}(-\d{4})?)?\s+USA$')
           OR regexp_matches(last, '^[A-Z]{2}\s+\d{5}(-\d{4})?$'))
      AND substr(last, 1, 2) IN (SELECT code FROM jk_states)
    UNION ALL
    SELECT b.i, 1.5, CASE jk_norm(b.prev) WHEN 'hong kong' THEN 'HK' ELSE 'MO' END, b.prev || ', ' || b.last,
           'hk-mo-before-china'
    FROM b JOIN jk_alias a ON jk_norm(b.last) = a.alias
    WHERE a.code = 'CN' AND jk_norm(b.prev) IN ('hong kong', 'macau', 'macao')
    UNION ALL
    SELECT b.i, 2.0, a.code, b.last, 'alias' FROM b JOIN jk_alias a ON jk_norm(b.last) = a.alias
    UNION ALL
    SELECT b.i, 3.0, a.code, b.prev || ', ' || b.last, 'alias-two-components'
    FROM b JOIN jk_alias a ON jk_norm(b.prev || ' ' || b.last) = a.alias WHERE b.prev IS NOT NULL
    UNION ALL
    SELECT b.i, 3.5, 'US', b.last, 'us-state-name' FROM b JOIN jk_states s ON jk_norm(b.last) = s.name_norm
    UNION ALL
    SELECT b.i, 4.0, a.code, b.last, 'alias-postcode'
    FROM b JOIN jk_alias a ON jk_norm(regexp_replace(b.last, '\S*\d\S*', '', 'g')) = a.alias
    WHERE regexp_matches(b.last, '\d')
    UNION ALL
    SELECT comp.i, 5.0 + (comp.n - comp.k) / 1e3, a.code, comp.c, 'alias-component'
    FROM comp JOIN jk_alias a ON jk_norm(regexp_replace(comp.c, '\S*\d\S*', '', 'g')) = a.alias
    WHERE comp.k > 1 AND comp.k < comp.n
), best AS (
    SELECT i, arg_min(struct_pack(code := code, matched := matched, rule := rule), pr) AS d FROM cand GROUP BY i
)
SELECT s.address, d.country_code, d.matched, d.rule
FROM jk_in s LEFT JOIN (
    SELECT b.address, best.d.code AS country_code, best.d.matched AS matched, coalesce(best.d.rule, 'none') AS rule
    FROM b LEFT JOIN best USING (i)
) d ON s.address IS NOT DISTINCT FROM d.address
ORDER BY s.pos
"""


def _data_path(name: str) -> Path:
    return Path(str(resources.files("junkan") / "data" / "countries" / name))


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(_NORM_MACRO)
    return con


_LOCK = threading.Lock()


@functools.cache
def _rules_con() -> duckdb.DuckDBPyConnection:
    """One connection for the rules, with the alias tables loaded (used under ``_LOCK``)."""
    con = _connect()
    con.register("jk_alias_arrow", aliases())
    con.register("jk_states_arrow", _states())
    con.execute("CREATE TABLE jk_alias AS SELECT * FROM jk_alias_arrow")
    con.execute("CREATE TABLE jk_states AS SELECT * FROM jk_states_arrow")
    return con


@functools.cache
def aliases() -> pa.Table:
    """Normalised alias → ISO code, from ``iso3166.csv`` and ``aliases.csv`` (one code per alias, checked)."""
    con = _connect()
    iso, ali = _data_path("iso3166.csv"), _data_path("aliases.csv")
    t = con.execute(
        f"""SELECT DISTINCT jk_norm(name) AS alias, code FROM (
                SELECT name, code FROM read_csv('{iso}', header=true, columns={{'code': 'VARCHAR', 'name': 'VARCHAR'}})
                UNION ALL
                SELECT alias, code FROM read_csv('{ali}', header=true,
                    columns={{'alias': 'VARCHAR', 'code': 'VARCHAR', 'note': 'VARCHAR'}}))"""
    ).fetch_arrow_table()
    clash = con.execute("SELECT alias, list(code) FROM t GROUP BY alias HAVING count(*) > 1").fetchall()
    if clash:  # a data error in the shipped CSVs: caught by the tests
        raise ValueError(f"country aliases map to several codes: {clash}")
    return t


@functools.cache
def _states() -> pa.Table:
    con = _connect()
    p = _data_path("us_states.csv")
    return con.execute(
        f"""SELECT code, CASE WHEN name IS NULL OR name = '' THEN NULL ELSE jk_norm(name) END AS name_norm
            FROM read_csv('{p}', header=true, columns={{'code': 'VARCHAR', 'name': 'VARCHAR'}})"""
    ).fetch_arrow_table()


def load_overrides(path: str | Path) -> pa.Table:
    """Read a user overrides file: a CSV with a header ``pattern,country_code`` (other columns are ignored).

    ``pattern`` is a regular expression (RE2 syntax, as in DuckDB), matched case-insensitively anywhere in the
    address as printed; ``country_code`` is an ISO 3166-1 alpha-2 code, or empty to say "no country". The first
    matching row in file order wins, and an override beats every built-in rule. Example::

        pattern,country_code,note
        "Georgia Inst Technol",US,our institute
        "\\bUNIST\\b",KR,
        "Int Space Stn",,not a country

    Raises :class:`~junkan.errors.BadInputError` naming the file, line and field for a missing column, an
    invalid regular expression or a malformed code. Returns a table with :data:`OVERRIDES_SCHEMA`.
    """
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise BadInputError("overrides file not found", file=str(p)) from exc
    except UnicodeDecodeError as exc:
        raise BadInputError(f"overrides file is not UTF-8 ({exc.reason})", file=str(p)) from exc
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    for need in ("pattern", "country_code"):
        if need not in fields:
            raise BadInputError(
                f"missing column {need!r} (the header must be pattern,country_code)", file=str(p), line=1, field=need
            )
    reader.fieldnames = fields
    con = duckdb.connect()
    rows: list[dict[str, object]] = []
    for n, row in enumerate(reader):
        line = reader.line_num
        pat = (row.get("pattern") or "").strip()
        code = (row.get("country_code") or "").strip().upper()
        if not pat:
            raise BadInputError("empty pattern", file=str(p), line=line, field="pattern")
        try:
            con.execute("SELECT regexp_matches('', ?)", ["(?i)" + pat]).fetchall()
        except duckdb.Error as exc:
            raise BadInputError(f"invalid regular expression {pat!r}: {exc}", file=str(p), line=line, field="pattern") from exc
        if code and not _CODE.match(code):
            raise BadInputError(
                f"{code!r} is not an ISO 3166-1 alpha-2 code (two letters; empty for no country)",
                file=str(p), line=line, field="country_code",
            )
        rows.append({"ord": n, "pattern": "(?i)" + pat, "country_code": code or None})
    return pa.Table.from_pylist(rows, schema=OVERRIDES_SCHEMA)


def _as_overrides(overrides: pa.Table | str | Path | None) -> pa.Table:
    if overrides is None:
        return OVERRIDES_SCHEMA.empty_table()
    if isinstance(overrides, pa.Table):
        return overrides
    return load_overrides(overrides)


def countries_of(
    addresses: pa.Array | pa.ChunkedArray | Sequence[str | None] | Iterable[str | None],
    *,
    overrides: pa.Table | str | Path | None = None,
) -> pa.Table:
    """Attribute a country to every address of a column (the bulk path: one DuckDB query).

    ``addresses``: an Arrow string array or any sequence of strings (nulls allowed). ``overrides``: a table from
    :func:`load_overrides` or the path of an overrides file. Returns one row per input address, in input
    order, with :data:`ATTRIBUTION_SCHEMA`: the ``address``, its ``country_code`` (ISO 3166-1 alpha-2, null when
    none), the component that ``matched`` and the ``rule`` that decided (see the module docstring).
    Distinct addresses are decided once.
    """
    arr = addresses if isinstance(addresses, (pa.Array, pa.ChunkedArray)) else pa.array(list(addresses), pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return ATTRIBUTION_SCHEMA.empty_table()
    inp = pa.table({"pos": pa.array(range(len(arr)), pa.int64()), "address": arr.cast(pa.string())})
    over = _as_overrides(overrides)
    with _LOCK:
        con = _rules_con()
        con.register("jk_in", inp)
        con.register("jk_over", over)
        try:
            out = con.execute(_RULES_SQL).fetch_arrow_table()
        finally:
            con.unregister("jk_in")
            con.unregister("jk_over")
    return out.cast(ATTRIBUTION_SCHEMA)


def country_of(
    address: str | None, *, overrides: pa.Table | str | Path | None = None
) -> tuple[str | None, str | None, str]:
    """``(country_code, matched, rule)`` for one address: the same rules as :func:`countries_of`."""
    row = countries_of([address], overrides=overrides).to_pylist()[0]
    return row["country_code"], row["matched"], row["rule"]
