"""The service plugin: consultations, after-sales requests, complaints and
requests, with SLAs in business hours, escalation and satisfaction."""
