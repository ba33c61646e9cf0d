"""Where the benchmark scripts keep what they measured: ``benchmarks/results/``."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")


def write_figures(path: Path, figures: dict[str, Any]) -> Path:
    """``figures``, with the Python they were measured on and when, as JSON at
    ``path`` (kept, to compare the next run with on the same machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {
        **figures,
        "python": platform.python_version(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps(stamped, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written to {path}")
    return path
