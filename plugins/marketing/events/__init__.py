"""Wealth seminars and VIP salons: invitations, RSVPs, attendance and follow-ups."""
