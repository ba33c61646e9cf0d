"""An optional second factor for staff sign-in: time-based one-time codes
(TOTP, RFC 6238) from an authenticator app.

Enrolment is two steps, so that a mistyped secret never locks anyone out:
``enrol`` gives a new secret (kept pending), ``confirm`` turns it on once a
code from the app checks out. Secrets are kept encrypted with a key derived
from ``CRM_SECRET_KEY``. A code is accepted once: its time step must be later
than the last one used, so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import pyotp
from cryptography.fernet import Fernet, InvalidToken

from core.errors import BusinessError
from core.settings import Settings
from plugins.security.models import User

ISSUER = "Bank CRM"
STEP_SECONDS = 30
TOLERANCE_STEPS = 1
"""A code of the step before or after is accepted too: clocks drift."""


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    """``otpauth://`` for the authenticator app's QR code."""


def _cipher(settings: Settings) -> Fernet:
    key = hashlib.sha256(f"crm totp secrets\n{settings.signing_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def enrol(settings: Settings, user: User) -> Enrolment:
    """A new secret for ``user``, pending until confirmed."""
    secret = pyotp.random_base32()
    user.totp_pending_secret = _cipher(settings).encrypt(secret.encode()).decode()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def confirm(settings: Settings, user: User, code: str, at: float) -> None:
    """Turn the pending secret on, if ``code`` is the app's."""
    if user.totp_pending_secret is None:
        raise BusinessError("TOTP_NOT_ENROLLED", "Enrol first.", ["input", "code"])
    secret = _decrypt(settings, user.totp_pending_secret)
    step = _matching_step(secret, code, at)
    if step is None:
        raise BusinessError("INVALID_TOTP_CODE", "The code is wrong or expired.", ["input", "code"])
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = (
        user.totp_pending_secret,
        None,
        step,
    )


def check_sign_in_code(settings: Settings, user: User, code: str | None, at: float) -> None:
    """For a user with the second factor on: ``code`` must be the app's
    current one, never used before."""
    if user.totp_secret is None:
        return
    if not code:
        raise BusinessError("TOTP_REQUIRED", "Enter the code from your authenticator app.")
    step = _matching_step(_decrypt(settings, user.totp_secret), code, at)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        raise BusinessError("INVALID_TOTP_CODE", "The code is wrong, expired or already used.")
    user.totp_last_step = step


def turn_off(user: User) -> None:
    user.totp_secret = user.totp_pending_secret = user.totp_last_step = None


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The time step ``code`` belongs to, within the tolerance; None if none."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now = int(at // STEP_SECONDS)
    for step in range(now - TOLERANCE_STEPS, now + TOLERANCE_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code.strip()):
            return step
    return None


def _decrypt(settings: Settings, stored: str) -> str:
    try:
        return _cipher(settings).decrypt(stored.encode()).decode()
    except InvalidToken:
        # the secret key changed since enrolment: the factor cannot be checked
        raise BusinessError(
            "TOTP_UNAVAILABLE", "The second factor must be enrolled again; ask an administrator."
        ) from None
