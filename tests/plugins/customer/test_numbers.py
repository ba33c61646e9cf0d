"""Customer numbers: ``C``, nine digits of sequence and a Luhn check digit, handed out
once each, in order."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plugins.customer.numbers import format_customer_no, is_valid_customer_no
from tests.plugins.customer.conftest import CREATE_CUSTOMER, customer_input, resident_id

SERIALS = st.integers(min_value=1, max_value=999_999_999)


def passes_luhn(digits: str) -> bool:
    """The Luhn test: doubling every second digit from the right, the sum ends in 0."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = int(digit) * 2 if position % 2 else int(digit)
        total += sum(divmod(doubled, 10))
    return total % 10 == 0


@pytest.mark.parametrize(
    ("serial", "number"),
    [
        (1, "C0000000018"),
        (2, "C0000000026"),
        (10, "C0000000109"),
        (123_456_789, "C1234567897"),
        (999_999_999, "C9999999999"),
    ],
)
def test_a_serial_is_written_as_c_nine_digits_and_a_check_digit(serial, number):
    assert format_customer_no(serial) == number


@given(SERIALS)
def test_every_customer_number_passes_the_luhn_test(serial):
    number = format_customer_no(serial)

    assert len(number) == 11
    assert passes_luhn(number[1:])
    assert is_valid_customer_no(number)


@given(SERIALS, st.integers(min_value=1, max_value=10), st.sampled_from("0123456789"))
def test_one_mistyped_digit_is_caught(serial, position, digit):
    number = format_customer_no(serial)
    assume(number[position] != digit)

    assert not is_valid_customer_no(number[:position] + digit + number[position + 1 :])


@given(SERIALS, st.integers(min_value=1, max_value=9))
def test_two_swapped_neighbours_are_caught_unless_they_are_0_and_9(serial, position):
    number = format_customer_no(serial)
    pair = number[position : position + 2]
    assume(pair[0] != pair[1] and set(pair) != {"0", "9"})

    swapped = number[:position] + pair[::-1] + number[position + 2 :]

    assert not is_valid_customer_no(swapped)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "C0000000017",
        "c0000000018",
        "D0000000018",
        "0000000018",
        "C000000018",
        "C00000000018",
        " C0000000018",
        "C00000000-8",
        "C0000000０18",
        "C000000001８",
    ],
)
def test_anything_else_is_no_customer_number(text):
    assert not is_valid_customer_no(text)


async def test_customers_are_numbered_in_the_order_they_are_registered(bank):
    registered = [await bank.register() for _ in range(3)]

    assert [customer["customerNo"] for customer in registered] == [
        "C0000000018",
        "C0000000026",
        "C0000000034",
    ]


async def test_a_refused_registration_uses_up_no_number(bank):
    first = await bank.register(idNumber=resident_id(1))
    admin = await bank.sign_in("admin")
    for refused in ({"idNumber": resident_id(1)}, {"idNumber": resident_id(2), "phone": "1"}):
        body = await admin.data(CREATE_CUSTOMER, {"input": customer_input(**refused)})
        assert body["createCustomer"]["errors"] != []

    second = await bank.register(idNumber=resident_id(2))

    assert (first["customerNo"], second["customerNo"]) == ("C0000000018", "C0000000026")


async def test_customers_registered_at_the_same_time_get_different_numbers(bank):
    admin = await bank.sign_in("admin")
    inputs = [customer_input(idNumber=resident_id(n), phone=None) for n in range(1, 9)]

    bodies = await asyncio.gather(
        *(admin.data(CREATE_CUSTOMER, {"input": given}) for given in inputs)
    )

    numbers = sorted(body["createCustomer"]["customer"]["customerNo"] for body in bodies)
    assert numbers == [format_customer_no(serial) for serial in range(1, 9)]
