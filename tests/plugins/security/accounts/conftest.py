"""The customer tests' bank (branches, staff of every role), for the audit tests."""

from tests.plugins.customer.conftest import bank, password_hash  # noqa: F401  (fixtures)
