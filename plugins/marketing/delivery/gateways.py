"""The gateways campaign messages leave the bank through: e-mail over SMTP,
SMS and app pushes as HMAC-signed webhook calls.

A gateway answers each message with an :class:`Outcome`: sent (with the
gateway's reference), worth retrying (the gateway is down, busy or timed out),
or refused for good (a bad address). Outcomes carry no personal data: only a
status code or the kind of failure goes into the outbox.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import httpx
import orjson

from plugins.marketing.models import CampaignChannel
from plugins.marketing.settings import MarketingSettings

WEBHOOK_CONCURRENCY = 8
REFERENCE_MAX = 200
RETRYABLE_HTTP = frozenset({408, 425, 429})
SIGNATURE_HEADER = "X-CRM-Signature"
TIMESTAMP_HEADER = "X-CRM-Timestamp"


class Result(enum.Enum):
    SENT = "SENT"
    RETRY = "RETRY"
    REFUSED = "REFUSED"


@dataclass(frozen=True)
class Outcome:
    result: Result
    detail: str | None = None
    """The gateway's reference when sent; else why not (``HTTP 503``, ``SMTP 550``)."""


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go: its stable key, where to and what it says."""

    key: str
    channel: CampaignChannel
    address: str
    subject: str
    text: str


def configured_channels(settings: MarketingSettings) -> frozenset[CampaignChannel]:
    """The channels that can send now; the others' messages wait in the outbox."""
    ready = {
        CampaignChannel.EMAIL: settings.smtp_host is not None,
        CampaignChannel.SMS: settings.sms_gateway_url is not None,
        CampaignChannel.APP: settings.app_gateway_url is not None,
    }
    return frozenset(channel for channel, is_ready in ready.items() if is_ready)


async def send(settings: MarketingSettings, messages: Sequence[Outgoing]) -> dict[str, Outcome]:
    """Send ``messages`` (of configured channels); each key's outcome."""
    emails = [message for message in messages if message.channel is CampaignChannel.EMAIL]
    calls = [message for message in messages if message.channel is not CampaignChannel.EMAIL]
    outcomes = await send_emails(settings, emails) if emails else {}
    if calls:
        outcomes |= await call_webhooks(settings, calls)
    return outcomes


# E-mail ------------------------------------------------------------------------------------


def email_message(settings: MarketingSettings, message: Outgoing) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_sender
    email["To"] = message.address
    email["Subject"] = message.subject
    domain = settings.smtp_sender.rpartition("@")[2] or "crm.invalid"
    email["Message-ID"] = f"<{message.key}@{domain}>"
    email.set_content(message.text)
    return email


async def send_emails(
    settings: MarketingSettings, messages: Sequence[Outgoing]
) -> dict[str, Outcome]:
    """Send over one SMTP connection. A refusal of one recipient (5xx) is final
    for that message; a lost connection leaves the rest to be retried."""
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=settings.smtp_starttls,
        timeout=settings.gateway_timeout_seconds,
    )
    try:
        await smtp.connect()
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await smtp.login(settings.smtp_username, password)
    except (aiosmtplib.SMTPException, OSError) as error:
        return dict.fromkeys((m.key for m in messages), Outcome(Result.RETRY, _smtp_failure(error)))
    outcomes: dict[str, Outcome] = {}
    try:
        for message in messages:
            try:
                await smtp.send_message(email_message(settings, message))
                outcomes[message.key] = Outcome(Result.SENT)
            except aiosmtplib.SMTPRecipientsRefused as error:
                codes = [refusal.code for refusal in error.recipients]
                final = all(code >= 500 for code in codes)
                outcomes[message.key] = Outcome(
                    Result.REFUSED if final else Result.RETRY, f"SMTP {max(codes)}"
                )
            except aiosmtplib.SMTPResponseException as error:
                result = Result.REFUSED if error.code >= 500 else Result.RETRY
                outcomes[message.key] = Outcome(result, f"SMTP {error.code}")
    except (aiosmtplib.SMTPException, OSError) as error:
        lost = Outcome(Result.RETRY, _smtp_failure(error))
        outcomes |= {m.key: lost for m in messages if m.key not in outcomes}
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()
    return outcomes


def _smtp_failure(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"SMTP {error.code}"
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return "TIMEOUT"
    return "CONNECTION_FAILED"


# Webhooks (SMS, app) ------------------------------------------------------------------------


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>``: the receiver
    recomputes it, and refuses stale timestamps to stop replays."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


async def call_webhooks(
    settings: MarketingSettings, messages: Sequence[Outgoing]
) -> dict[str, Outcome]:
    urls = {
        CampaignChannel.SMS: settings.sms_gateway_url,
        CampaignChannel.APP: settings.app_gateway_url,
    }
    secret = settings.gateway_secret.get_secret_value()
    turns = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

    async def call(client: httpx.AsyncClient, message: Outgoing) -> tuple[str, Outcome]:
        body = orjson.dumps(
            {
                "id": message.key,
                "channel": message.channel.value,
                "to": message.address,
                "subject": message.subject,
                "text": message.text,
            }
        )
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
        }
        async with turns:
            try:
                answer = await client.post(
                    str(urls[message.channel]), content=body, headers=headers
                )
            except httpx.TimeoutException:
                return message.key, Outcome(Result.RETRY, "TIMEOUT")
            except httpx.TransportError:
                return message.key, Outcome(Result.RETRY, "CONNECTION_FAILED")
        return message.key, _webhook_outcome(answer)

    async with httpx.AsyncClient(timeout=settings.gateway_timeout_seconds) as client:
        answered = await asyncio.gather(*(call(client, message) for message in messages))
    return dict(answered)


def _webhook_outcome(answer: httpx.Response) -> Outcome:
    if answer.is_success:
        try:
            reference = orjson.loads(answer.content).get("id")
        except (orjson.JSONDecodeError, AttributeError):
            reference = None
        return Outcome(Result.SENT, str(reference)[:REFERENCE_MAX] if reference else None)
    status = answer.status_code
    retry = status >= 500 or status in RETRYABLE_HTTP
    return Outcome(Result.RETRY if retry else Result.REFUSED, f"HTTP {status}")
