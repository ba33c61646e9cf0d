"""The benchmark scripts, importable as they import each other.

``benchmarks/`` is a folder of scripts, not a package: run as
``python benchmarks/customer360.py``, a script has its own folder first on
``sys.path`` and imports its neighbours by their bare names (``import bank``,
``from timing import summary``). Putting the folder first on ``sys.path`` here
lets the tests import them the same way (``import customer360``).
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
