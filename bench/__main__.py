"""``python -m bench``: run every benchmark and regenerate docs/benchmarks.md (see bench/harness.py)."""

import sys

from bench.harness import main

sys.exit(main())
