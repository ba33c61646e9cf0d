"""A page of customers with their open tickets costs a fixed number of SQL
statements, whatever the page size: the tickets, their assignees and their
queues are each loaded for the whole page at once."""

from __future__ import annotations

from sqlalchemy import select

from core.authorization import Principal, Role
from core.db import Mode
from plugins.customer.models import Customer
from plugins.service.models import TicketKind, TicketPriority, TicketStatus
from plugins.service.tickets import Opening, open_ticket
from tests.plugins.customer.conftest import Bank

PAGE = """
query($first: Int) {
  customers(first: $first) {
    edges { node {
      name
      tickets(status: [OPEN, IN_PROGRESS]) {
        ticketNo status slaDueAt assignee { username } queue { code }
      }
    } }
  }
}
"""


async def bank_with(bank: Bank, customers: int) -> None:
    """``customers`` customers of BJ-001, each with an open ticket waiting in the
    queue, one in progress with ``bj.agent`` and one resolved by ``bj.rm``."""
    for _ in range(customers):
        await bank.register()
    admin = Principal(
        user_id=bank.user_ids["admin"],
        username="admin",
        roles=frozenset({Role.ADMIN}),
        branch_id=None,
        permissions=frozenset(),
    )
    runtime = bank.runtime
    async with runtime.database.transaction(Mode.WRITE) as session:
        for customer in await session.scalars(select(Customer)):
            for status, assignee in (
                (TicketStatus.OPEN, None),
                (TicketStatus.IN_PROGRESS, "bj.agent"),
                (TicketStatus.RESOLVED, "bj.rm"),
            ):
                ticket = await open_ticket(
                    session,
                    runtime.settings,
                    admin,
                    customer,
                    Opening(
                        TicketKind.REQUEST, TicketPriority.HIGH, "挂失补卡", "客户银行卡遗失。"
                    ),
                )
                ticket.status = status
                ticket.assignee_id = bank.user_ids[assignee] if assignee else None


async def test_a_page_of_customers_with_their_open_tickets_costs_the_same_for_3_as_for_100(
    bank: Bank, sql
):
    await bank_with(bank, 100)

    few, few_edges = await bank.page_cost(sql, PAGE, 3)
    many, many_edges = await bank.page_cost(sql, PAGE, 100)

    assert few == many
    # the signed-in user and their roles, the page of customers (no count: not
    # asked for), the page's tickets (one statement: one status filter), their
    # assignees, their queues' branches
    assert many == 5, sql.statements
    assert len(few_edges) == 3
    assert len(many_edges) == 100
    for edge in many_edges:
        tickets = edge["node"]["tickets"]
        assert [t["status"] for t in tickets] == ["IN_PROGRESS", "OPEN"]  # newest first
        assert [t["assignee"] for t in tickets] == [{"username": "bj.agent"}, None]
        assert all(t["queue"] == {"code": "BJ-001"} and t["slaDueAt"] for t in tickets)
