"""The chart interface (parameters, definitions, results) and the helpers every chart definition shares.

Chart data are Arrow tables that carry their provenance in the schema metadata (key ``junkan.provenance``,
the same key :func:`junkan.export.write_table` writes to Parquet), so a chart's table and its caption can never
drift apart.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from junkan.errors import ConfigError

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = [
    "COUNTINGS",
    "FONT",
    "LANGS",
    "PEERS",
    "ChartDef",
    "ChartParams",
    "ChartResult",
    "ChartUnavailable",
    "attach",
    "provenance_of",
    "rows",
]

#: The CJK font every chart asks for (Debian ``fonts-noto-cjk``); vl-convert is pointed at its folder.
FONT = "Noto Sans CJK JP"
LANGS = ("ja", "en")
#: Counting methods a chart accepts: the indicator core's names; ``fractional`` is the core's alias of
#: ``institution`` (NISTEP 分数カウント), see docs/briefing.md Decisions.
COUNTINGS = ("whole", "fractional", "country", "institution", "author", "author_literal")
#: The comparison countries of the briefing (p15: 日米中英独仏韓); the focus country is always added first.
PEERS = ("JP", "US", "CN", "GB", "DE", "FR", "KR")


class ChartUnavailable(ConfigError):
    """A chart cannot be drawn from this store with these parameters (for example no cohort file, no data)."""


@dataclass(frozen=True)
class ChartParams:
    """What a chart is about: focus country, language, publication years, field and counting method."""

    country: str = "JP"
    lang: str = "ja"
    start: int | None = None
    end: int | None = None
    field: int | None = None
    counting: str = "whole"

    def key(self) -> str:
        """A stable cache key (the same parameters give the same key in every process)."""
        raw = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def validate(self) -> ChartParams:
        """These parameters, normalised (country upper-case); :class:`ConfigError` on bad values."""
        c = (self.country or "").strip().upper()
        if len(c) != 2 or not c.isalpha():
            raise ConfigError(f"country {self.country!r}: give an ISO alpha-2 code such as JP")
        if self.lang not in LANGS:
            raise ConfigError(f"lang {self.lang!r}: choose ja or en")
        if self.counting not in COUNTINGS:
            raise ConfigError(f"counting {self.counting!r}: choose one of {', '.join(COUNTINGS)}")
        for name in ("start", "end"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, int) and 1900 <= v <= 2100):
                raise ConfigError(f"{name} {v!r}: give a publication year such as 2022")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ConfigError(f"start {self.start} is after end {self.end}")
        if self.field is not None and not isinstance(self.field, int):
            raise ConfigError(f"field {self.field!r}: give an OpenAlex field id such as 27")
        if c == self.country:
            return self
        return ChartParams(c, self.lang, self.start, self.end, self.field, self.counting)

    def t(self, ja: str, en: str) -> str:
        """The text in this chart's language."""
        return ja if self.lang == "ja" else en


@dataclass(frozen=True)
class ChartDef:
    """One chart, defined once: data (from junkan's indicator functions), Vega-Lite spec, takeaway, source line."""

    id: str
    page: str
    title: dict[str, str]
    briefing_page: str | None
    compute: Callable[[Engine, ChartParams], pa.Table]
    spec: Callable[[pa.Table, ChartParams], dict]
    takeaway: Callable[[pa.Table, ChartParams], str]
    source: dict[str, str]


@dataclass(frozen=True)
class ChartResult:
    """A rendered chart: its data table, Vega-Lite spec, caption, takeaway line and provenance."""

    id: str
    title: str
    table: pa.Table
    spec: dict
    caption: str
    takeaway: str
    provenance: dict


def attach(table: pa.Table, provenance: dict[str, Any]) -> pa.Table:
    """``table`` with ``provenance`` in its schema metadata (key ``junkan.provenance``)."""
    meta = dict(table.schema.metadata or {})
    meta[b"junkan.provenance"] = json.dumps(provenance, ensure_ascii=False, default=str).encode()
    return table.replace_schema_metadata(meta)


def provenance_of(table: pa.Table) -> dict[str, Any]:
    """The provenance attached by :func:`attach` (an empty dict when there is none)."""
    raw = (table.schema.metadata or {}).get(b"junkan.provenance")
    return json.loads(raw) if raw else {}


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as JSON-safe dicts (NaN and infinities become null) for inlining into a spec."""
    return [{k: _clean(v) for k, v in r.items()} for r in table.to_pylist()]
