"""junkan (循環): an open, reproducible observatory of international brain circulation.

Data flows one way: ``sources`` → ``store`` → ``engine`` → analyses (``indicators``, ``mobility``,
``mapping``, ``cohort``) → ``charts``/``reports``/``web``/``cli``. Lower layers never import upper ones.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
