"""The masks the CRM shows to a viewer without the ``pii.read`` permission.

They follow the common Chinese banking practice (JR/T 0171-2020 style): a
masked value keeps enough to confirm it with the customer ("the phone ending
5678") and too little to be of use to anyone who copies it.

Every mask keeps the value's length, so a masked value still looks like what
it is; the one exception is an e-mail's local part, always shown as three
stars, so its length is not given away either. Empty or None comes back as is.
"""

from __future__ import annotations

from strawberry import relay
from strawberry.types import Info

from plugins.security.permissions import PII_READ

MASK = "*"
_EMAIL_LOCAL_MASK = MASK * 3


def _keep(value: str, head: int, tail: int) -> str:
    """``value`` with all but its first ``head`` and last ``tail`` characters starred."""
    hidden = len(value) - head - tail
    return value[:head] + MASK * hidden + value[head + hidden :]


def mask_id_number(value: str | None) -> str | None:
    """``110101********1234``: an 18-character number keeps its region and last 4.

    Any other length (an old 15-digit number, a passport) keeps at most 2 at
    each end, and never more than half of the value.
    """
    if not value:
        return value
    if len(value) == 18:
        return _keep(value, 6, 4)
    side = min(2, len(value) // 4)
    return _keep(value, side, side)


def mask_phone(value: str | None) -> str | None:
    """``138****5678``: an 11-digit mobile keeps its first 3 and last 4.

    Any other number keeps its last 4 only, and never more than half of it.
    """
    if not value:
        return value
    if len(value) == 11 and value.isascii() and value.isdigit():
        return _keep(value, 3, 4)
    return _keep(value, 0, min(4, len(value) // 2))


def mask_email(value: str | None) -> str | None:
    """``z***@example.com``: the first character of the local part, then three stars.

    The domain stays readable. Without an @, all but the first character is
    masked, the same way.
    """
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if not at:
        return value[:1] + _EMAIL_LOCAL_MASK
    return local[:1] + _EMAIL_LOCAL_MASK + at + domain


def mask_name(value: str | None) -> str | None:
    """``张**``: an individual's name keeps its first character.

    Only for individuals; a company's name is public and is not masked.
    """
    if not value:
        return value
    return _keep(value, 1, 0)


def mask_address(value: str | None) -> str | None:
    """``北京市朝阳区******``: an address keeps its first 6 characters (about the district)."""
    if not value:
        return value
    return _keep(value, min(6, len(value)), 0)


def reveals_personal_data(info: Info, type_name: str, object_id: object) -> bool:
    """Whether the viewer sees this object's personal data unmasked; if so, the
    read is noted, and the request's audit record names the object
    (``core.audit``). Every unmasked field goes through here."""
    context = info.context
    if not context.user.can(PII_READ):
        return False
    context.personal_data_read[str(relay.GlobalID(type_name, str(object_id)))] = None
    return True
