"""Demo accounts: every demo customer banks here, with a few months of history.

Balances are spread the way a bank's are (most modest, a few large), so that
tiers, portfolios and the 360 view have something to show; the money goes in
through the same ledger and rules as real money.
"""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.business_day import open_business_date
from core.hookspecs import DemoOptions
from plugins.customer.models import Customer, CustomerKind
from plugins.customer.tiers import recompute_tiers
from plugins.finance import movements
from plugins.finance.accounts import Opening, open_account
from plugins.finance.loans import lifecycle
from plugins.finance.loans.products import find_loan_product
from plugins.finance.loans.schedule import RepaymentMethod
from plugins.finance.models import Account, AccountKind
from plugins.finance.products import FIXED_TERMS
from plugins.security.demo import demo_administrator

LOAN_SHARE = 0.15
"""Of the customers with a relationship manager, how many have applied for a loan."""
LOAN_TERMS = (6, 12, 24, 36)
MEMOS = ("工资", "转账", "生活费", "还款", "货款", "分红", None)


def _amount(rng: random.Random, median: float, spread: float = 1.2) -> Decimal:
    return Decimal(str(round(rng.lognormvariate(0, spread) * median, 2))).quantize(Decimal("0.01"))


async def seed(session: AsyncSession, options: DemoOptions) -> None:
    rng = random.Random(options.seed + 4)  # noqa: S311  (reproducible demo data, not secrets)
    settings = options.runtime.settings
    teller = await demo_administrator(session)
    keys = iter(range(1, 10**9))

    def asked(memo: str | None = None) -> movements.Request:
        return movements.Request(teller, f"demo-{next(keys)}", memo)

    demand_accounts = []
    for customer in await session.scalars(select(Customer).order_by(Customer.id)):
        account = await open_account(
            session, settings, teller, customer, Opening(kind=AccountKind.DEMAND)
        )
        demand_accounts.append(account)
        median = 400_000 if customer.kind is CustomerKind.CORPORATE else 30_000
        await movements.deposit(
            session, settings, asked("开户存入"), account.id, _amount(rng, median, 1.6)
        )
        for _ in range(rng.randint(0, 4)):
            await movements.deposit(session, settings, asked(), account.id, _amount(rng, 2_000))
        if rng.random() < 0.4 and account.balance > 1_000:
            await movements.withdraw(
                session,
                settings,
                asked(),
                account.id,
                (account.balance * Decimal("0.1")).quantize(Decimal("0.01")),
            )
        if rng.random() < 0.25 and account.balance > 10_000:
            await open_account(
                session,
                settings,
                teller,
                customer,
                Opening(
                    kind=AccountKind.FIXED,
                    term_months=rng.choice(FIXED_TERMS),
                    principal=(account.balance / 2).quantize(Decimal("1")),
                    funding_account_id=account.id,
                    idempotency_key=f"demo-{next(keys)}",
                ),
            )
    for _ in range(len(demand_accounts)):
        source, target = rng.sample(demand_accounts, 2)
        amount = _amount(rng, 500)
        if source.available_balance >= amount:
            await movements.transfer(
                session, settings, asked(rng.choice(MEMOS)), source.id, target.id, amount
            )
    await _loans(session, options, rng, teller, demand_accounts)
    today = await open_business_date(session, options.runtime.settings)
    await recompute_tiers(session, options.runtime.plugins, options.runtime.events, on=today)


async def _loans(
    session: AsyncSession,
    options: DemoOptions,
    rng: random.Random,
    head_office: Principal,
    demand_accounts: list[Account],
) -> None:
    """Loans in every state: relationship managers apply, head office decides."""
    settings = options.runtime.settings
    for account in demand_accounts:
        customer = await session.get_one(Customer, account.customer_id)
        if customer.relationship_manager_id is None or rng.random() > LOAN_SHARE:
            continue
        manager = Principal(
            user_id=customer.relationship_manager_id,
            username="demo",
            roles=frozenset({Role.RELATIONSHIP_MANAGER}),
            branch_id=customer.branch_id,
            permissions=frozenset(),
        )
        product = await find_loan_product(session, None, customer.kind)
        amount = min(_amount(rng, float(product.min_amount) * 5, 0.8), product.max_amount)
        loan = await lifecycle.apply_for_loan(
            session,
            settings,
            manager,
            customer,
            lifecycle.Application(
                principal=max(amount, product.min_amount),
                term_months=rng.choice(
                    [
                        t
                        for t in (6, 12, 24, 36)
                        if product.min_term_months <= t <= product.max_term_months
                    ]
                ),
                method=rng.choice(list(RepaymentMethod)),
                account_id=account.id,
            ),
        )
        fate = rng.random()
        if fate < 0.15:
            continue  # waiting for a decision
        approve = fate >= 0.3
        await lifecycle.decide_loan(
            session,
            head_office,
            loan.id,
            approve,
            "资料齐全，同意。" if approve else "负债率过高。",
        )
        if approve and fate >= 0.4:
            await lifecycle.disburse_loan(
                session, settings, head_office, loan.id, f"demo-loan-{loan.id}"
            )
