"""What a viewer without ``pii.read`` sees of a customer's personal data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.security.masking import (
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)

Mask = Callable[[str | None], str | None]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("110101199003071234", "110101********1234"),
        ("11010519491231002X", "110105********002X"),
        ("110105491231002", "11***********02"),  # a first-generation, 15-digit number
        ("E12345678", "E1*****78"),  # a passport
        ("123456", "1****6"),
        ("1234", "1**4"),
        ("123", "***"),
        ("1", "*"),
    ],
)
def test_an_id_number_keeps_region_and_last_4_or_at_most_half(value: str, shown: str) -> None:
    assert mask_id_number(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("13812345678", "138****5678"),
        ("010-12345678", "********5678"),
        ("+8613812345678", "**********5678"),
        ("1381234567a", "*******567a"),  # 11 characters, but not 11 digits
        ("95588", "***88"),
        ("1234", "**34"),
        ("1", "*"),
    ],
)
def test_a_mobile_keeps_first_3_and_last_4_other_numbers_the_last_4(value: str, shown: str) -> None:
    assert mask_phone(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("zhangsan@example.com", "z***@example.com"),
        ("a@example.com", "a***@example.com"),
        ("张三@例子.中国", "张***@例子.中国"),
        ("@example.com", "***@example.com"),
        ('"a@b"@example.com', '"***@example.com'),  # the domain is after the last @
        ("zhangsan", "z***"),
    ],
)
def test_an_email_keeps_the_first_character_and_the_domain(value: str, shown: str) -> None:
    assert mask_email(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("张三丰", "张**"),
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("John Smith", "J*********"),
        ("张", "张"),
    ],
)
def test_a_name_keeps_its_first_character(value: str, shown: str) -> None:
    assert mask_name(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("北京市朝阳区建国路88号", "北京市朝阳区******"),
        ("上海市浦东新区", "上海市浦东新*"),
        ("上海市", "上海市"),
    ],
)
def test_an_address_keeps_its_first_6_characters(value: str, shown: str) -> None:
    assert mask_address(value) == shown


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_email, mask_name, mask_address])
@pytest.mark.parametrize("value", [None, ""])
def test_nothing_in_gives_the_same_nothing_out(mask: Mask, value: str | None) -> None:
    assert mask(value) == value


def _is_mobile(value: str) -> bool:
    return len(value) == 11 and value.isascii() and value.isdigit()


# How many characters each length-keeping mask may leave readable.
ALLOWED = [
    pytest.param(
        mask_id_number,
        lambda value: 10 if len(value) == 18 else min(4, len(value) // 2),
        id="id_number",
    ),
    pytest.param(
        mask_phone,
        lambda value: 7 if _is_mobile(value) else min(4, len(value) // 2),
        id="phone",
    ),
    pytest.param(mask_name, lambda value: 1, id="name"),
    pytest.param(mask_address, lambda value: 6, id="address"),
]

values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.text(alphabet="0123456789X", min_size=18, max_size=18),
)


@pytest.mark.parametrize(("mask", "allowed"), ALLOWED)
@given(value=values)
def test_a_mask_keeps_the_length_and_shows_no_more_than_it_allows(
    mask: Mask, allowed: Callable[[str], int], value: str
) -> None:
    shown = mask(value)

    assert shown is not None
    assert len(shown) == len(value)
    readable = [index for index, character in enumerate(shown) if character != "*"]
    assert len(readable) <= allowed(value)
    assert all(shown[index] == value[index] for index in readable)
