"""Repayment schedules and the split of a repayment, as pure functions.

The 等额本息 payment is checked against an independent implementation,
numpy-financial's ``pmt``, rounded half-up to the fen; each month's interest
against the exact fraction outstanding × rate / 1200, rounded half-up.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import BusinessError
from plugins.finance.loans.models import Installment
from plugins.finance.loans.repayment import Allocation, allocate, amount_due, payoff_amount
from plugins.finance.loans.schedule import (
    PlannedInstallment,
    RepaymentMethod,
    annuity_payment,
    monthly_rate,
    repayment_schedule,
)

EQUAL_INSTALLMENT = RepaymentMethod.EQUAL_INSTALLMENT
EQUAL_PRINCIPAL = RepaymentMethod.EQUAL_PRINCIPAL
FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def half_up(value: Fraction) -> Decimal:
    """An exact amount rounded half-up (halves away from zero) to the fen."""
    fen = abs(value) * 100
    whole = fen.numerator // fen.denominator
    if fen - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) / 100).copy_sign(Decimal(value.numerator))


def exact_annuity(principal: Decimal, annual_rate: Decimal, months: int) -> Fraction:
    r = Fraction(annual_rate) / 1200
    growth = (1 + r) ** months
    return Fraction(principal) * r * growth / (growth - 1)


def is_half_fen(value: Fraction) -> bool:
    """Exactly halfway between two fen (where rounding half-up decides)."""
    return (value * 100).denominator == 2


def pmt_to_fen(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """numpy-financial's payment rounded half-up to the fen. Where its float lies
    within float error of a half fen it cannot tell which way to round; there
    the exact fraction decides."""
    payment = float(npf.pmt(float(annual_rate) / 1200, months, -float(principal)))
    in_fen = Decimal(payment) * 100
    off_the_nearest_fen = abs(in_fen - in_fen.to_integral_value())
    if abs(off_the_nearest_fen - Decimal("0.5")) < Decimal("1e-6"):
        return half_up(exact_annuity(principal, annual_rate, months))
    return Decimal(payment).quantize(FEN, rounding=ROUND_HALF_UP)


def interest_on(outstanding: Decimal, annual_rate: Decimal) -> Decimal:
    return half_up(Fraction(outstanding) * Fraction(annual_rate) / 1200)


def schedule(
    principal: str,
    rate: str,
    months: int,
    method: RepaymentMethod = EQUAL_INSTALLMENT,
    start: date = date(2026, 1, 15),
) -> list[PlannedInstallment]:
    return repayment_schedule(Decimal(principal), Decimal(rate), months, method, start)


principals = st.integers(min_value=1_000_00, max_value=10_000_000_00).map(
    lambda fen: Decimal(fen) / 100
)
rates = st.integers(min_value=5000, max_value=240000).map(lambda units: Decimal(units) / 10000)
"""0.5 to 24 %, to the ten-thousandth of a percent (the precision rates are kept at)."""
terms = st.integers(min_value=1, max_value=360)
methods = st.sampled_from(RepaymentMethod)


# ---------------------------------------------------------------- the annuity (等额本息)


def test_the_monthly_rate_is_the_annual_rate_over_twelve():
    assert monthly_rate(Decimal("4.35")) == Decimal("0.003625")
    assert monthly_rate(Decimal("6")) == Decimal("0.005")


GRID_PRINCIPALS = ["1000.00", "9999.99", "100000.00", "123456.78", "1000000.00", "10000000.00"]
GRID_RATES = ["0.5", "1.75", "3.1", "3.45", "4.35", "4.9", "6", "12", "18.25", "24"]


@pytest.mark.parametrize("months", [1, 2, 3, 6, 12, 24, 36, 60, 120, 180, 240, 300, 360])
def test_the_payment_is_numpy_financial_pmt_rounded_half_up_over_a_grid(months: int):
    mismatches = [
        (principal, rate, annuity_payment(Decimal(principal), Decimal(rate), months))
        for principal in GRID_PRINCIPALS
        for rate in GRID_RATES
        if annuity_payment(Decimal(principal), Decimal(rate), months)
        != pmt_to_fen(Decimal(principal), Decimal(rate), months)
    ]

    assert mismatches == []


@settings(max_examples=300, deadline=None)
@given(principal=principals, rate=rates, months=terms)
def test_the_payment_is_numpy_financial_pmt_rounded_half_up_for_any_loan(
    principal: Decimal, rate: Decimal, months: int
):
    assert annuity_payment(principal, rate, months) == pmt_to_fen(principal, rate, months)


@settings(max_examples=300, deadline=None)
@given(principal=principals, rate=rates, months=terms)
def test_the_payment_is_the_exact_annuity_rounded_half_up(
    principal: Decimal, rate: Decimal, months: int
):
    assert annuity_payment(principal, rate, months) == half_up(
        exact_annuity(principal, rate, months)
    )


def test_the_payment_rounds_a_half_fen_up():
    # 1,010.00 for a month at 0.6 % (0.0005 a month): 1,010 × 1.0005 = 1,010.505 exactly
    assert annuity_payment(Decimal("1010.00"), Decimal("0.6"), 1) == Decimal("1010.51")


@pytest.mark.parametrize(
    ("principal", "rate", "months", "payment"),
    [
        ("1188.00", "0.5", 1, "1188.50"),  # 1,188 × (1 + 1/2400) = 1,188.495 exactly
        ("3603.00", "2", 2, "1806.01"),  # 3,603 × (1 + 1/600)² / (2 + 1/600) = 1,806.005
    ],
)
def test_the_payment_rounds_a_half_fen_up_when_the_monthly_rate_never_ends(
    principal: str, rate: str, months: int, payment: str
):
    assert is_half_fen(exact_annuity(Decimal(principal), Decimal(rate), months))

    assert annuity_payment(Decimal(principal), Decimal(rate), months) == Decimal(payment)


def test_interest_of_exactly_half_a_fen_more_is_rounded_up():
    # 1,206.00 at 1 % (1/1200 a month, a decimal that never ends) is 1.005 a month
    (only,) = schedule("1206.00", "1", 1, EQUAL_PRINCIPAL)

    assert only.interest == Decimal("1.01")


def test_one_hundred_thousand_at_4_35_for_a_year_is_8530_99_a_month_and_8531_01_last():
    planned = schedule("100000.00", "4.35", 12)

    assert len(planned) == 12
    assert [p.total for p in planned[:11]] == [Decimal("8530.99")] * 11
    assert planned[-1].total == Decimal("8531.01")
    assert (planned[0].principal, planned[0].interest) == (Decimal("8168.49"), Decimal("362.50"))
    assert (planned[1].principal, planned[1].interest) == (Decimal("8198.10"), Decimal("332.89"))
    assert (planned[-1].principal, planned[-1].interest) == (Decimal("8500.20"), Decimal("30.81"))
    assert sum(p.interest for p in planned) == Decimal("2371.90")


def test_a_million_at_4_9_over_thirty_years_is_5307_27_a_month():
    planned = schedule("1000000.00", "4.9", 360)

    assert len(planned) == 360
    assert {p.total for p in planned[:-1]} == {Decimal("5307.27")}
    assert (planned[0].principal, planned[0].interest) == (Decimal("1223.94"), Decimal("4083.33"))
    assert (planned[-1].principal, planned[-1].interest) == (Decimal("5283.62"), Decimal("21.57"))


# ---------------------------------------------------------------- equal principal (等额本金)


def test_equal_principal_one_hundred_thousand_at_4_35_for_a_year():
    planned = schedule("100000.00", "4.35", 12, EQUAL_PRINCIPAL)

    assert [p.principal for p in planned] == [Decimal("8333.33")] * 11 + [Decimal("8333.37")]
    assert [p.interest for p in planned] == [
        Decimal(x)
        for x in (
            "362.50",  # 100,000.00 × 0.003625
            "332.29",  # 91,666.67 × 0.003625 = 332.2916...
            "302.08",
            "271.88",  # 75,000.01 × 0.003625 = 271.8750...
            "241.67",
            "211.46",
            "181.25",
            "151.04",
            "120.83",
            "90.63",
            "60.42",
            "30.21",  # 8,333.37 × 0.003625 = 30.2085...
        )
    ]
    assert planned[0].total == Decimal("8695.83")
    assert planned[-1].total == Decimal("8363.58")


def test_equal_principal_a_million_at_4_9_over_thirty_years_falls_by_11_34_a_month():
    planned = schedule("1000000.00", "4.9", 360, EQUAL_PRINCIPAL)

    assert planned[0].total == Decimal("6861.11")  # 2,777.78 + 4,083.33
    assert planned[0].total - planned[1].total == Decimal("11.34")
    assert (planned[-1].principal, planned[-1].interest) == (Decimal("2776.98"), Decimal("11.34"))


# ---------------------------------------------------------------- the rules of every schedule


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=terms, method=methods)
def test_each_month_s_interest_is_the_outstanding_principal_times_the_rate_rounded_half_up(
    principal: Decimal, rate: Decimal, months: int, method: RepaymentMethod
):
    outstanding = principal
    for planned in repayment_schedule(principal, rate, months, method, date(2026, 1, 15)):
        assert planned.interest == interest_on(outstanding, rate), planned
        outstanding -= planned.principal


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=terms, method=methods)
def test_the_principal_parts_add_up_to_the_loan_exactly(
    principal: Decimal, rate: Decimal, months: int, method: RepaymentMethod
):
    planned = repayment_schedule(principal, rate, months, method, date(2026, 1, 15))

    assert [p.number for p in planned] == list(range(1, len(planned) + 1))
    assert len(planned) <= months
    assert sum(p.principal for p in planned) == principal
    assert all(p.principal == p.principal.quantize(FEN) for p in planned)


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=terms)
def test_no_equal_principal_installment_is_negative(principal: Decimal, rate: Decimal, months: int):
    planned = repayment_schedule(principal, rate, months, EQUAL_PRINCIPAL, date(2026, 1, 15))

    assert all(p.principal > 0 and p.interest >= 0 for p in planned)


@pytest.mark.parametrize(("rate", "payment"), [("12", "10.29"), ("24", "20.02")])
def test_no_equal_installment_is_negative_for_a_small_loan_over_a_long_term(
    rate: str, payment: str
):
    # 1,000.00 over 360 months: the annuity (10.2861... at 12 %) rounded up repays the
    # principal early; the schedule must end there, not run on with negative parts
    planned = schedule("1000.00", rate, 360)

    assert [p for p in planned if p.principal <= 0 or p.interest < 0] == []
    assert sum(p.principal for p in planned) == Decimal("1000.00")
    assert {p.total for p in planned[:-1]} == {Decimal(payment)}
    assert planned[-1].total <= Decimal(payment)


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=st.integers(min_value=2, max_value=360))
def test_every_equal_installment_but_the_last_is_the_payment(
    principal: Decimal, rate: Decimal, months: int
):
    payment = annuity_payment(principal, rate, months)
    planned = repayment_schedule(principal, rate, months, EQUAL_INSTALLMENT, date(2026, 1, 15))

    assert {p.total for p in planned[:-1]} == {payment}
    paid_before_last = sum(p.principal for p in planned[:-1])
    assert planned[-1].principal == principal - paid_before_last


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, months=st.integers(min_value=2, max_value=360))
def test_every_equal_principal_part_but_the_last_is_the_loan_over_the_term(
    principal: Decimal, rate: Decimal, months: int
):
    part = half_up(Fraction(principal) / months)
    planned = repayment_schedule(principal, rate, months, EQUAL_PRINCIPAL, date(2026, 1, 15))

    assert {p.principal for p in planned[:-1]} == {part}
    assert planned[-1].principal == principal - part * (months - 1)


def test_the_last_equal_installment_absorbs_the_rounding():
    planned = schedule("1000000.00", "4.9", 360)

    # the payment is rounded up by a fraction of a fen; over 359 months that
    # repays 2.08 more principal than the annuity would, which the last one gives back
    assert planned[-1].total == Decimal("5305.19")
    assert planned[-1].principal == Decimal("1000000.00") - sum(p.principal for p in planned[:-1])


def test_the_last_equal_principal_part_absorbs_the_rounding():
    planned = schedule("1000.00", "4.35", 3, EQUAL_PRINCIPAL)

    assert [p.principal for p in planned] == [
        Decimal("333.33"),
        Decimal("333.33"),
        Decimal("333.34"),
    ]


def test_a_one_month_loan_is_repaid_in_one_installment_with_a_month_s_interest():
    (only,) = schedule("120000.00", "6", 1)

    assert (only.principal, only.interest) == (Decimal("120000.00"), Decimal("600.00"))


# ---------------------------------------------------------------- due dates


def test_installments_fall_due_on_the_same_day_of_each_month():
    planned = schedule("12000.00", "4.35", 4, start=date(2026, 11, 15))

    assert [p.due_date for p in planned] == [
        date(2026, 12, 15),
        date(2027, 1, 15),
        date(2027, 2, 15),
        date(2027, 3, 15),
    ]


def test_a_loan_paid_out_on_the_31st_falls_due_on_each_month_s_last_day_where_it_has_no_31st():
    planned = schedule("12000.00", "4.35", 12, start=date(2026, 1, 31))

    assert [p.due_date for p in planned] == [
        date(2026, 2, 28),
        date(2026, 3, 31),  # back to the 31st: not carried over from February's 28th
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
    ]


def test_february_of_a_leap_year_has_its_29th():
    planned = schedule("12000.00", "4.35", 2, start=date(2028, 1, 30))

    assert [p.due_date for p in planned] == [date(2028, 2, 29), date(2028, 3, 30)]


def test_due_dates_run_for_the_whole_term():
    planned = schedule("1000000.00", "3.1", 360, start=date(2026, 1, 31))

    assert planned[-1].due_date == date(2056, 1, 31)
    assert planned[24].due_date == date(2028, 2, 29)


# ---------------------------------------------------------------- a zero rate


@pytest.mark.parametrize("method", list(RepaymentMethod))
def test_at_a_zero_rate_there_is_no_interest_and_the_principal_is_split_evenly(
    method: RepaymentMethod,
):
    planned = schedule("1000.00", "0", 3, method)

    assert [p.interest for p in planned] == [ZERO] * 3
    assert [p.principal for p in planned] == [
        Decimal("333.33"),
        Decimal("333.33"),
        Decimal("333.34"),
    ]


def test_at_a_zero_rate_the_payment_is_the_loan_over_the_term():
    assert annuity_payment(Decimal("1000.00"), Decimal("0"), 3) == Decimal("333.33")


# ---------------------------------------------------------------- what a repayment pays


def installment(
    number: int,
    due: date,
    principal: str,
    interest: str,
    paid_principal: str = "0.00",
    paid_interest: str = "0.00",
) -> Installment:
    return Installment(
        loan_id=1,
        number=number,
        due_date=due,
        principal=Decimal(principal),
        interest=Decimal(interest),
        paid_principal=Decimal(paid_principal),
        paid_interest=Decimal(paid_interest),
    )


def three_months() -> list[Installment]:
    """A 3,000.00 loan at 12 % paid out on 2026-01-15, equal principal."""
    return [
        installment(1, date(2026, 2, 15), "1000.00", "30.00"),
        installment(2, date(2026, 3, 15), "1000.00", "20.00"),
        installment(3, date(2026, 4, 15), "1000.00", "10.00"),
    ]


def split(allocation: Allocation) -> list[tuple[int, Decimal, Decimal]]:
    """(installment number, interest paid, principal paid) of each part."""
    return [(i.number, interest, principal) for i, interest, principal in allocation.parts]


BEFORE_ANY_IS_DUE = date(2026, 2, 1)
FIRST_OVERDUE = date(2026, 3, 1)


def test_penalty_interest_is_paid_before_anything_else():
    allocation = allocate(three_months(), Decimal("5.00"), Decimal("3.00"), FIRST_OVERDUE)

    assert allocation.penalty == Decimal("3.00")
    assert split(allocation) == []
    assert allocation.pays_off is False


def test_after_the_penalty_the_oldest_installment_s_interest_is_paid_before_its_principal():
    allocation = allocate(three_months(), Decimal("5.00"), Decimal("25.00"), FIRST_OVERDUE)

    assert allocation.penalty == Decimal("5.00")
    assert split(allocation) == [(1, Decimal("20.00"), ZERO)]
    assert allocation.interest == Decimal("25.00")
    assert allocation.principal == ZERO


def test_a_partial_payment_goes_to_the_oldest_installment_s_principal_after_its_interest():
    allocation = allocate(three_months(), ZERO, Decimal("500.00"), FIRST_OVERDUE)

    assert split(allocation) == [(1, Decimal("30.00"), Decimal("470.00"))]


def test_what_the_oldest_installment_does_not_take_goes_to_the_next():
    allocation = allocate(three_months(), ZERO, Decimal("1100.00"), FIRST_OVERDUE)

    assert split(allocation) == [
        (1, Decimal("30.00"), Decimal("1000.00")),
        (2, Decimal("20.00"), Decimal("50.00")),
    ]
    assert allocation.principal == Decimal("1050.00")
    assert allocation.interest == Decimal("50.00")


def test_a_partly_paid_installment_is_paid_for_what_is_left_of_it():
    unpaid = three_months()
    unpaid[0] = installment(1, date(2026, 2, 15), "1000.00", "30.00", "400.00", "30.00")

    allocation = allocate(unpaid, ZERO, Decimal("650.00"), FIRST_OVERDUE)

    assert split(allocation) == [
        (1, ZERO, Decimal("600.00")),
        (2, Decimal("20.00"), Decimal("30.00")),
    ]


def test_what_is_due_is_the_penalty_and_the_installments_due_by_the_day():
    unpaid = three_months()

    assert amount_due(unpaid, Decimal("2.50"), BEFORE_ANY_IS_DUE) == Decimal("2.50")
    assert amount_due(unpaid, Decimal("2.50"), date(2026, 2, 15)) == Decimal("1032.50")
    assert amount_due(unpaid, Decimal("2.50"), FIRST_OVERDUE) == Decimal("1032.50")


def test_the_payoff_before_anything_is_due_is_the_remaining_principal():
    assert payoff_amount(three_months(), ZERO, BEFORE_ANY_IS_DUE) == Decimal("3000.00")


def test_the_payoff_is_the_penalty_what_is_due_and_the_principal_not_yet_due():
    assert payoff_amount(three_months(), Decimal("2.50"), FIRST_OVERDUE) == Decimal("3032.50")


def test_an_installment_due_today_is_due_with_its_interest():
    assert payoff_amount(three_months(), ZERO, date(2026, 3, 15)) == Decimal("3050.00")


def test_the_payoff_counts_only_what_is_left_unpaid():
    unpaid = three_months()
    unpaid[0] = installment(1, date(2026, 2, 15), "1000.00", "30.00", "400.00", "30.00")

    assert payoff_amount(unpaid, ZERO, FIRST_OVERDUE) == Decimal("2600.00")


def test_paying_the_payoff_pays_off_and_waives_the_interest_of_installments_not_yet_due():
    allocation = allocate(three_months(), Decimal("2.50"), Decimal("3032.50"), FIRST_OVERDUE)

    assert allocation.pays_off is True
    assert allocation.penalty == Decimal("2.50")
    assert split(allocation) == [
        (1, Decimal("30.00"), Decimal("1000.00")),
        (2, ZERO, Decimal("1000.00")),
        (3, ZERO, Decimal("1000.00")),
    ]
    assert allocation.principal == Decimal("3000.00")
    assert allocation.interest == Decimal("32.50")


def test_paying_the_payoff_before_anything_is_due_charges_no_interest():
    allocation = allocate(three_months(), ZERO, Decimal("3000.00"), BEFORE_ANY_IS_DUE)

    assert allocation.pays_off is True
    assert allocation.interest == ZERO
    assert allocation.principal == Decimal("3000.00")
    assert [number for number, _, _ in split(allocation)] == [1, 2, 3]


def test_less_than_the_payoff_does_not_pay_off_and_charges_the_next_month_s_interest():
    allocation = allocate(three_months(), ZERO, Decimal("2999.99"), BEFORE_ANY_IS_DUE)

    assert allocation.pays_off is False
    assert split(allocation)[0] == (1, Decimal("30.00"), Decimal("1000.00"))


@pytest.mark.parametrize(
    ("on", "payoff"), [(BEFORE_ANY_IS_DUE, "3000.00"), (FIRST_OVERDUE, "3030.00")]
)
def test_more_than_the_payoff_is_refused(on: date, payoff: str):
    with pytest.raises(BusinessError) as refused:
        allocate(three_months(), ZERO, Decimal(payoff) + FEN, on)

    assert refused.value.code == "REPAYMENT_EXCEEDS_OWED"
    assert refused.value.field == ["input", "amount"]
    assert payoff in refused.value.message
