"""The part of the OpenAlex JSON record junkan reads, as one nested spec.

The same spec gives DuckDB's explicit ``read_json(columns=...)`` schema (never auto-detected: see
STACK.md §3) and the record validator used to locate bad records exactly (file, line, field). Fields of
the record not named here are ignored (OpenAlex adds fields over time; that is not an error).

A spec node is a DuckDB scalar type name (``"VARCHAR"``, ``"INTEGER"``, ...), a dict (a JSON object →
STRUCT) or a one-element list (a JSON array → LIST of that element).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import re
import threading
from typing import Any

import duckdb

__all__ = ["AUTHOR_SPEC", "WORK_SPEC", "duckdb_columns", "validate"]

_INSTITUTION = {
    "id": "VARCHAR",
    "display_name": "VARCHAR",
    "ror": "VARCHAR",
    "country_code": "VARCHAR",
    "type": "VARCHAR",
    "lineage": ["VARCHAR"],
}
_TOPIC = {
    "id": "VARCHAR",
    "display_name": "VARCHAR",
    "score": "DOUBLE",
    "subfield": {"id": "VARCHAR", "display_name": "VARCHAR"},
    "field": {"id": "VARCHAR", "display_name": "VARCHAR"},
    "domain": {"id": "VARCHAR", "display_name": "VARCHAR"},
}

WORK_SPEC: dict[str, Any] = {
    "id": "VARCHAR",
    "doi": "VARCHAR",
    "title": "VARCHAR",
    "display_name": "VARCHAR",
    "publication_year": "INTEGER",
    "publication_date": "DATE",
    "type": "VARCHAR",
    "language": "VARCHAR",
    "primary_location": {
        "source": {
            "id": "VARCHAR",
            "display_name": "VARCHAR",
            "issn_l": "VARCHAR",
            "type": "VARCHAR",
            "is_core": "BOOLEAN",
        }
    },
    "authorships": [
        {
            "author_position": "VARCHAR",
            "author": {"id": "VARCHAR", "display_name": "VARCHAR", "orcid": "VARCHAR"},
            "institutions": [_INSTITUTION],
            "countries": ["VARCHAR"],
            "is_corresponding": "BOOLEAN",
            "raw_author_name": "VARCHAR",
            "raw_affiliation_strings": ["VARCHAR"],
        }
    ],
    "countries_distinct_count": "INTEGER",
    "institutions_distinct_count": "INTEGER",
    "fwci": "DOUBLE",
    "cited_by_count": "BIGINT",
    "citation_normalized_percentile": {
        "value": "DOUBLE",
        "is_in_top_1_percent": "BOOLEAN",
        "is_in_top_10_percent": "BOOLEAN",
    },
    "is_retracted": "BOOLEAN",
    "is_paratext": "BOOLEAN",
    "biblio": {"volume": "VARCHAR", "issue": "VARCHAR", "first_page": "VARCHAR", "last_page": "VARCHAR"},
    "primary_topic": _TOPIC,
    "topics": [_TOPIC],
    "referenced_works": ["VARCHAR"],
    "referenced_works_count": "INTEGER",
    "funders": [{"id": "VARCHAR", "display_name": "VARCHAR", "ror": "VARCHAR"}],
    "awards": [
        {
            "id": "VARCHAR",
            "display_name": "VARCHAR",
            "funder_award_id": "VARCHAR",
            "funder_id": "VARCHAR",
            "funder_display_name": "VARCHAR",
        }
    ],
    "updated_date": "TIMESTAMP",
}

AUTHOR_SPEC: dict[str, Any] = {
    "id": "VARCHAR",
    "orcid": "VARCHAR",
    "display_name": "VARCHAR",
    "works_count": "INTEGER",
    "cited_by_count": "BIGINT",
    "affiliations": [{"institution": _INSTITUTION, "years": ["INTEGER"]}],
    "updated_date": "TIMESTAMP",
}


def _duck_type(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return f"{_duck_type(node[0])}[]"
    return "STRUCT(" + ", ".join(f'"{k}" {_duck_type(v)}' for k, v in node.items()) + ")"


def duckdb_columns(spec: dict[str, Any]) -> dict[str, str]:
    """The ``columns=`` argument of DuckDB's ``read_json`` for a spec."""
    return {k: _duck_type(v) for k, v in spec.items()}


_INT_LIMITS = {"INTEGER": 2**31 - 1, "BIGINT": 2**63 - 1}
#: Strings DuckDB surely converts (checked against DuckDB by tests/reliability): plain decimal integers without
#: leading zeros or sign, ISO dates and ISO timestamps with a ``T`` and at most microseconds.
_PLAIN_INT = {"INTEGER": re.compile(r"-?(?:0|[1-9][0-9]{0,8})"), "BIGINT": re.compile(r"-?(?:0|[1-9][0-9]{0,17})")}
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _surely_converts(kind: str, value: Any) -> bool:
    """True for the everyday values DuckDB's reader certainly converts to ``kind`` (no DuckDB call needed)."""
    if isinstance(value, bool):
        return kind in ("BOOLEAN", "INTEGER", "BIGINT", "DOUBLE")  # DuckDB reads true/false as 1/0
    if isinstance(value, int):
        return (kind in _INT_LIMITS and -_INT_LIMITS[kind] - 1 <= value <= _INT_LIMITS[kind]) or (
            kind == "DOUBLE" and abs(value) <= 2**53)
    if isinstance(value, float):
        return kind == "DOUBLE" and math.isfinite(value)
    if isinstance(value, str):
        if kind in _PLAIN_INT:
            return _PLAIN_INT[kind].fullmatch(value) is not None
        if kind == "DATE" and _PLAIN_DATE.fullmatch(value):
            return _valid_iso(value[:10])
        if kind == "TIMESTAMP" and _PLAIN_TIMESTAMP.fullmatch(value):
            return _valid_iso(value[:10]) and int(value[11:13]) < 24 and int(value[14:16]) < 60 and int(value[17:19]) < 60
    return False


def _valid_iso(day: str) -> bool:
    try:
        return dt.date.fromisoformat(day).year >= 1
    except ValueError:
        return False


_local = threading.local()


@functools.lru_cache(maxsize=1 << 16)
def _duckdb_converts(kind: str, text: str) -> bool:
    """Whether DuckDB converts the JSON value ``text`` to ``kind``: asked of DuckDB itself, with the conversion
    ``read_json(columns=...)`` applies (``json_transform_strict``; tests/reliability checks that both agree)."""
    con = getattr(_local, "con", None)
    if con is None or _local.pid != os.getpid():  # one connection per thread and process (fork-safe)
        con = _local.con = duckdb.connect()
        _local.pid = os.getpid()
    try:
        con.execute(f"SELECT json_transform_strict(?, '{{\"x\": \"{kind}\"}}')", ['{"x": ' + text + "}"]).fetchall()
    except duckdb.Error:
        return False
    return True


def _check_scalar(kind: str, value: Any) -> str | None:
    """None if DuckDB's reader converts ``value`` to ``kind``; else why not.

    The verdict is DuckDB's own (decision 3 of docs/decisions.md: both paths accept the same records): everyday
    values are recognised here, anything else is converted by DuckDB (cached per distinct value). So numbers and
    ``"t"``/``"yes"`` are booleans, ``true`` and ``"0x10"`` are integers, but ``"1e3"`` is not; a timestamp
    needs a ``T`` or a space between date and time, and a date may carry a time of day.
    """
    vk = _kind(value)
    if kind == "VARCHAR":  # DuckDB keeps any JSON value where text is expected (objects as JSON text)
        return None
    if vk in ("array", "object"):
        return f"expected {kind.lower()}, got {vk}"
    if kind in _INT_LIMITS and isinstance(value, float) and value.is_integer() and not -(2**63) < value < 2**64:
        # The JSON parser (orjson) turns an integer literal beyond int64/uint64 into a float, which DuckDB would
        # convert when it equals -2**63; DuckDB refuses the literal itself. (A boolean field is the one place where
        # the literal and the float differ and this cannot tell: see docs/reliability.md.)
        return f"number {json.dumps(value)} out of range for {kind.lower()}"
    if _surely_converts(kind, value) or _duckdb_converts(kind, json.dumps(value)):
        return None
    shown = repr(value[:40]) if isinstance(value, str) else json.dumps(value)
    if kind in ("INTEGER", "BIGINT", "DOUBLE"):
        if vk == "number":
            return f"number {shown} out of range for {kind.lower()}"
        return f"expected a number ({kind.lower()}), got {vk} {shown}"
    if kind == "BOOLEAN":
        return f"expected true/false, got {vk} {shown}"
    if kind == "DATE":
        return f"expected a date YYYY-MM-DD, got {vk} {shown}"
    if kind == "TIMESTAMP":
        return f"expected a timestamp, got {vk} {shown}"
    raise AssertionError(kind)  # pragma: no cover


def validate(record: Any, spec: dict[str, Any]) -> tuple[str, str] | None:
    """Check one parsed record against ``spec``.

    Returns ``None`` when the record is readable, else ``(field_path, reason)`` for the first problem,
    e.g. ``("authorships[2].institutions[0].country_code", "expected varchar, got object")``.
    """
    if not isinstance(record, dict):
        return ("", f"a record must be a JSON object, got {_kind(record)}")
    rid = record.get("id")
    if rid is None:
        return ("id", "the record has no id")
    if not isinstance(rid, str) or not rid:
        return ("id", f"id must be a non-empty string, got {_kind(rid)}")
    return _walk(record, spec, "")


def _walk(obj: Any, spec: Any, path: str) -> tuple[str, str] | None:
    if obj is None:
        return None
    if isinstance(spec, str):
        why = _check_scalar(spec, obj)
        return (path, why) if why else None
    if isinstance(spec, list):
        if not isinstance(obj, list):
            return (path, f"expected an array, got {_kind(obj)}")
        for i, item in enumerate(obj):
            bad = _walk(item, spec[0], f"{path}[{i}]")
            if bad:
                return bad
        return None
    if not isinstance(obj, dict):
        return (path, f"expected an object, got {_kind(obj)}")
    for key, sub in spec.items():
        if key in obj:
            bad = _walk(obj[key], sub, f"{path}.{key}" if path else key)
            if bad:
                return bad
    return None
