"""The dashboard (``junkan serve STORE``): FastAPI pages with JSON twins over the chart catalog.

>>> from junkan.web import create_app          # doctest: +SKIP
>>> app = create_app("my-store")                # an ASGI app; serve it with uvicorn on 127.0.0.1

See docs/dashboard.md for the routes, parameters, caching and the latency benchmark.
"""

from __future__ import annotations

from junkan.web.app import create_app
from junkan.web.service import Dashboard, ParamError, default_cache_dir

__all__ = ["Dashboard", "ParamError", "create_app", "default_cache_dir"]
