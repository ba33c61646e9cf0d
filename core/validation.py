"""Small checks every plugin applies to input text, raising BusinessError."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import BusinessError


def clean_text(value: str, *, field: Sequence[str], max_length: int, required: bool = True) -> str:
    """Trim ``value`` and refuse it empty (when required) or longer than ``max_length``."""
    cleaned = value.strip()
    if required and not cleaned:
        raise BusinessError("REQUIRED", f"{field[-1]} must not be empty.", field)
    if len(cleaned) > max_length:
        raise BusinessError(
            "TOO_LONG", f"{field[-1]} may have at most {max_length} characters.", field
        )
    return cleaned
