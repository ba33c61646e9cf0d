"""A customer's phone and e-mail, checked and normalised."""

from __future__ import annotations

from core.errors import BusinessError
from plugins.customer.identity import InvalidContact, normalize_email, normalize_mobile


def contact_details(phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    """The normalised phone and e-mail; blank means none; a bad one is refused."""
    return (
        _checked(phone, normalize_mobile, "INVALID_PHONE", "phone"),
        _checked(email, normalize_email, "INVALID_EMAIL", "email"),
    )


def _checked(value, normalize, code: str, field: str) -> str | None:  # type: ignore[no-untyped-def]
    if value is None or not value.strip():
        return None
    try:
        return normalize(value)
    except InvalidContact as error:
        raise BusinessError(code, str(error), ["input", field]) from None
