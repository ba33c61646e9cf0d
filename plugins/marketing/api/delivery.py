"""How far a campaign's messages have gone."""

from __future__ import annotations

from collections import Counter

import strawberry

from plugins.marketing.delivery.models import MessageStatus


@strawberry.type(description="A campaign's e-mail, SMS or app messages, counted by outcome.")
class CampaignDelivery:
    counts: strawberry.Private[Counter[MessageStatus]]

    @strawberry.field(description="Waiting to be sent, including those being retried.")
    def queued(self) -> int:
        return self.counts[MessageStatus.PENDING] + self.counts[MessageStatus.SENDING]

    @strawberry.field(description="Accepted by the SMTP server or the gateway.")
    def sent(self) -> int:
        return self.counts[MessageStatus.SENT]

    @strawberry.field(description="Refused for good, or out of attempts.")
    def failed(self) -> int:
        return self.counts[MessageStatus.FAILED]

    @strawberry.field(
        description="Not sent: consent withdrawn, no address, customer closed or campaign "
        "cancelled by the time it was due."
    )
    def suppressed(self) -> int:
        return self.counts[MessageStatus.SUPPRESSED]
