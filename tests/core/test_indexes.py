"""Every foreign key, and every column the API filters or sorts by, leads an
index; no index repeats another; and the migrated database has exactly the
indexes the models declare.

An index serves a lookup on its leading columns, so "led by" is what counts:
a primary key or a unique constraint leads with its first column as an index
does (both databases build one for it). A foreign key needs one so that a
parent's children are found (and a parent is deleted or merged) without
reading the whole child table; PostgreSQL does not create one by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, MetaData, Table, UniqueConstraint, inspect
from sqlmodel import SQLModel

import core.migrations  # noqa: F401  (the kernel's tables)
from core.plugins import load_plugins
from core.runtime import Runtime

Columns = tuple[str, ...]


@dataclass(frozen=True)
class Lookup:
    """Columns a query narrows by (equality first) or orders by, in that order."""

    table: str
    columns: Columns
    why: str


LOOKUPS = (
    Lookup("customer_customer", ("created_at",), "customers, newest first (the default)"),
    Lookup("customer_customer", ("name",), "customers ordered by name"),
    Lookup("customer_customer", ("customer_no",), "customers by number: order, search"),
    Lookup("customer_customer", ("status",), "customers filtered by status"),
    Lookup("customer_customer", ("phone",), "customers searched by phone"),
    Lookup("customer_customer", ("id_number",), "one customer per identity document"),
    Lookup("customer_tag", ("tag",), "customers filtered by tag"),
    Lookup("customer_interaction", ("customer_id", "occurred_at"), "a customer's timeline"),
    Lookup("customer_follow_up", ("assignee_id", "status", "due_on"), "my open follow-ups"),
    Lookup("finance_account", ("maturity_date",), "fixed deposits maturing at end of day"),
    Lookup("finance_account", ("internal", "currency"), "the bank's own ledger accounts"),
    Lookup("finance_posting", ("account_id", "id"), "an account's transactions, newest first"),
    Lookup("finance_posting", ("account_id", "value_date"), "an account's statement period"),
    Lookup("finance_posting", ("value_date",), "a day's postings: reconciliation, anomalies"),
    Lookup("finance_loan", ("status",), "active loans: collection, the loan book"),
    Lookup("finance_installment", ("due_date",), "installments falling due"),
    Lookup("finance_installment", ("loan_id", "number"), "a loan's schedule, in order"),
    Lookup("finance_reconciliation_exception", ("status", "found_on"), "exceptions by status"),
    Lookup("finance_reconciliation_exception", ("found_on",), "exceptions by date found"),
    Lookup("finance_clearing_statement", ("business_date",), "a day's clearing statement"),
    Lookup("finance_loan_book_day", ("business_date",), "a day's loan book"),
    Lookup("service_ticket", ("status", "id"), "tickets by status, newest first; escalation"),
    Lookup("service_ticket", ("queue_branch_id", "status"), "a branch's ticket queue"),
    Lookup("service_ticket", ("customer_id", "status"), "a customer's open tickets"),
    Lookup("service_ticket", ("created_at",), "service metrics: tickets opened in a period"),
    Lookup("service_ticket", ("resolved_at",), "service metrics: tickets resolved in a period"),
    Lookup("marketing_campaign", ("status",), "campaigns filtered by status"),
    Lookup("marketing_event", ("starts_at",), "events in date order"),
    Lookup("marketing_lead", ("stage",), "leads filtered by stage"),
    Lookup("marketing_referral", ("status",), "referrals filtered by status"),
    Lookup("marketing_outbox_message", ("status", "next_attempt_at"), "messages due to send"),
    Lookup("marketing_outbox_message", ("campaign_id", "status"), "a campaign's delivery"),
    Lookup("marketing_membership", ("customer_id", "targeted_at"), "recently targeted"),
    Lookup("security_audit_record", ("at",), "the audit log by time"),
    Lookup("security_audit_record", ("user_id", "at"), "the audit log of one user"),
    Lookup("security_audit_record", ("operation", "at"), "the audit log of one operation"),
    Lookup("security_audit_object", ("object_id",), "the audit log of one object"),
    Lookup("security_user", ("username",), "signing in"),
)
"""What the API filters and sorts by, beyond foreign keys. Left out on purpose:
filters that only narrow rows an indexed condition has already found (a
customer's tier or kind, a ticket's kind), and short lists (products,
segments, events by status)."""


@pytest.fixture(scope="module")
def metadata() -> MetaData:
    """Every installed plugin's tables and the kernel's."""
    load_plugins(None)
    return SQLModel.metadata


def orderings(table: Table) -> Iterator[Columns]:
    """The column lists the table is kept in order by: primary key, unique
    constraints, indexes."""
    yield tuple(column.name for column in table.primary_key.columns)
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            yield tuple(column.name for column in constraint.columns)
    for index in table.indexes:
        yield tuple(column.name for column in index.columns)


def is_led_by(table: Table, columns: Columns) -> bool:
    return any(ordering[: len(columns)] == columns for ordering in orderings(table))


def test_every_foreign_key_leads_an_index(metadata: MetaData) -> None:
    missing = [
        f"{table.name}.{', '.join(key.column_keys)} -> {key.referred_table.name}"
        for table in metadata.sorted_tables
        for key in table.foreign_key_constraints
        if not is_led_by(table, tuple(key.column_keys))
    ]

    assert missing == [], "foreign keys no index leads with (index=True on the column):\n" + (
        "\n".join(missing)
    )


def test_every_filter_and_sort_leads_an_index(metadata: MetaData) -> None:
    missing = [
        f"{lookup.table}({', '.join(lookup.columns)}): {lookup.why}"
        for lookup in LOOKUPS
        if lookup.table not in metadata.tables
        or not is_led_by(metadata.tables[lookup.table], lookup.columns)
    ]

    assert missing == [], "lookups no index leads with:\n" + "\n".join(missing)


def test_no_index_repeats_what_another_leads_with(metadata: MetaData) -> None:
    redundant = [
        f"{table.name}.{index.name} {columns} (led by {ordering})"
        for table in metadata.sorted_tables
        for index in table.indexes
        if not index.unique and (columns := tuple(column.name for column in index.columns))
        for ordering in orderings(table)
        if ordering != columns and ordering[: len(columns)] == columns
    ]

    assert redundant == [], "indexes another already serves:\n" + "\n".join(redundant)


Declared = set[tuple[str, Columns, bool]]


def declared_indexes(table: Table) -> Declared:
    return {
        (str(index.name), tuple(column.name for column in index.columns), bool(index.unique))
        for index in table.indexes
    }


def declared_unique(table: Table) -> set[Columns]:
    return {
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }


def built(connection: Connection, names: list[str]) -> dict[str, tuple[Declared, set[Columns]]]:
    """Each table's indexes and unique constraints as the database has them
    (leaving out the indexes PostgreSQL builds for its constraints)."""
    inspector = inspect(connection)
    found = {}
    for name in names:
        indexes = {
            (index["name"], tuple(index["column_names"]), bool(index["unique"]))
            for index in inspector.get_indexes(name)
            if "duplicates_constraint" not in index
        }
        unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
        found[name] = (indexes, unique)
    return found


async def test_the_database_has_exactly_the_indexes_the_models_declare(
    runtime: Runtime, metadata: MetaData
) -> None:
    tables = metadata.sorted_tables
    async with runtime.database.engine.connect() as connection:
        found = await connection.run_sync(built, [table.name for table in tables])

    drift = []
    for table in tables:
        indexes, unique = found[table.name]
        declared, declared_keys = declared_indexes(table), declared_unique(table)
        drift += [f"{table.name}: not in the database: {i}" for i in declared - indexes]
        drift += [f"{table.name}: not in the models: {i}" for i in indexes - declared]
        drift += [f"{table.name}: unique {u} not in the database" for u in declared_keys - unique]
        drift += [f"{table.name}: unique {u} not in the models" for u in unique - declared_keys]

    assert drift == [], "a migration and a model disagree:\n" + "\n".join(sorted(drift))
