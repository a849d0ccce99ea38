"""``junkan serve``: the dashboard (FastAPI, bound to 127.0.0.1 by default)."""

from __future__ import annotations
