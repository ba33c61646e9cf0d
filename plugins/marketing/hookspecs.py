"""Extension points the marketing plugin offers: what customers hold elsewhere.

Marketing does not require finance; finance (or any plugin holding customers'
products) answers these with ``@hookimpl(optionalhook=True)``, so that it still
loads when marketing is disabled. Answers are SQL, never rows, so that segments
and offers are evaluated by the database over any number of customers.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from core.hookspecs import hookspec

if TYPE_CHECKING:
    from sqlalchemy import Select


@hookspec
def crm_marketing_holdings() -> Select | None:  # type: ignore[type-arg]
    """What customers hold with this plugin, as SQL: a SELECT of the columns

    - ``customer_id`` (int),
    - ``product_code`` (text: this plugin's product code, e.g. ``FIXED-CNY``),
    - ``category`` (text: a ``ProductCategory`` value, ``DEPOSIT`` or ``LOAN``...),
    - ``amount`` (int: the balance or outstanding principal, in fen, CNY only),
    - ``matures_on`` (date or NULL),
    - ``last_moved_on`` (date or NULL: the value date of the last movement),

    one row per holding (an account, a loan); closed holdings left out.
    """


@hookspec
def crm_marketing_balance_changes(since: date) -> Select | None:  # type: ignore[type-arg]
    """How much each customer's CNY balances with this plugin changed from the
    start of ``since`` until now, as SQL: ``customer_id`` and ``change`` (int,
    fen, negative for a fall); customers without a movement may be left out."""
