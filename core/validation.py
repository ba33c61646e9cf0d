"""Small checks every plugin applies to input text, raising BusinessError."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from core.errors import BusinessError


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def clean_text(value: str, *, field: Sequence[str], max_length: int, required: bool = True) -> str:
    """Trim ``value`` and refuse it empty (when required) or longer than ``max_length``."""
    cleaned = value.strip()
    if has_control_characters(cleaned):
        raise BusinessError(
            "INVALID_CHARACTERS", f"{field[-1]} may not contain control characters.", field
        )
    if required and not cleaned:
        raise BusinessError("REQUIRED", f"{field[-1]} must not be empty.", field)
    if len(cleaned) > max_length:
        raise BusinessError(
            "TOO_LONG", f"{field[-1]} may have at most {max_length} characters.", field
        )
    return cleaned
