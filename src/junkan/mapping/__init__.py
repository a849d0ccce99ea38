"""Science maps after NISTEP's Science Map (METHODS.md §6, Appendix A): research fronts and areas from the
co-citation of Top 1 % papers, country participation and leadership, international co-authorship, Sci-GEO
types across editions, 2D layout, interactive charts and exports (VOSviewer, GEXF, GraphML).

>>> from junkan.engine import connect                                   # doctest: +SKIP
>>> m = build_map(connect("store"), window=(2015, 2020))                 # doctest: +SKIP
>>> m.areas.to_pandas().head(); m.countries.to_pandas().head()         # doctest: +SKIP
>>> export_map(m, "map.json", fmt="vosviewer-json")                      # doctest: +SKIP

See docs/science-map.md for the method, the options and the validation.
"""

from __future__ import annotations

from junkan.mapping.build import (
    MapParams,
    ScienceMap,
    build_map,
    build_series,
    country_series,
    load_map,
    series_summary,
)
from junkan.mapping.cluster import QUALITIES, ClusterParams
from junkan.mapping.export import (
    EXPORT_FORMATS,
    export_map,
    intl_participation_chart,
    map_chart,
    participation_chart,
    save_chart,
    to_gexf,
    to_graphml,
    to_vosviewer_files,
    to_vosviewer_json,
)
from junkan.mapping.geo import GEO_TYPES
from junkan.mapping.scientographer import scientographer_store

__all__ = [
    "EXPORT_FORMATS",
    "GEO_TYPES",
    "QUALITIES",
    "ClusterParams",
    "MapParams",
    "ScienceMap",
    "build_map",
    "build_series",
    "country_series",
    "export_map",
    "intl_participation_chart",
    "load_map",
    "map_chart",
    "participation_chart",
    "save_chart",
    "scientographer_store",
    "series_summary",
    "to_gexf",
    "to_graphml",
    "to_vosviewer_files",
    "to_vosviewer_json",
]
