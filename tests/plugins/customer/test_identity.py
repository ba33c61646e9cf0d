"""Identity numbers, credit codes, mobiles and e-mail addresses: what is accepted, and why not."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.customer.identity import (
    Gender,
    InvalidContact,
    InvalidIdentity,
    ResidentIdentity,
    SocialCreditCode,
    normalize_email,
    normalize_mobile,
    parse_resident_id,
    parse_social_credit_code,
)

TODAY = date(2025, 6, 1)

# Province-level codes 11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81 and 82;
# 91 (foreigners' permanent residence) is not among them.
PROVINCE_RANGES = (range(11, 16), range(21, 24), range(31, 38), range(41, 47), range(50, 55))
PROVINCES = [
    str(code) for codes in (*PROVINCE_RANGES, range(61, 66), (71, 81, 82)) for code in codes
]


def with_check(first_17: str) -> str:
    """The full resident ID number, its check character worked out from ISO 7064 MOD 11-2.

    Weights are 2^(18 - position) mod 11; the check character c makes the
    weighted sum of all 18 (with X for 10) equal 1 mod 11.
    """
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(first_17))
    check = (1 - total) % 11
    return first_17 + ("X" if check == 10 else str(check))


CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def with_credit_check(first_17: str) -> str:
    """The full credit code, its check character worked out from GB 32100-2015.

    Weights are 3^(position - 1) mod 31; the check character makes the
    weighted sum of all 18 characters' values a multiple of 31.
    """
    total = sum(
        CREDIT_CODE_ALPHABET.index(character) * pow(3, index, 31)
        for index, character in enumerate(first_17)
    )
    return first_17 + CREDIT_CODE_ALPHABET[-total % 31]


def reason_of(error: pytest.ExceptionInfo[InvalidIdentity | InvalidContact]) -> str:
    return error.value.reason


# --- Resident identity numbers ----------------------------------------------------------


MALE_1990 = with_check("11010119900307123")
HONG_KONG_1900 = with_check("81000019000101001")
BORN_TODAY = with_check("44030020250601002")


@pytest.mark.parametrize(
    ("text", "number", "birth_date", "gender"),
    [
        # The example printed in GB 11643-1999 itself.
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE),
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE),
        (" 110105 19491231 002X ", "11010519491231002X", date(1949, 12, 31), Gender.FEMALE),
        (MALE_1990, "110101199003071233", date(1990, 3, 7), Gender.MALE),
        (HONG_KONG_1900, HONG_KONG_1900, date(1900, 1, 1), Gender.MALE),
        (BORN_TODAY, BORN_TODAY, TODAY, Gender.FEMALE),
    ],
    ids=["published", "lower-case-x", "spaces", "male", "hong-kong-1900", "born-today"],
)
def test_a_valid_number_gives_the_birth_date_and_gender(
    text: str, number: str, birth_date: date, gender: Gender
) -> None:
    assert parse_resident_id(text, TODAY) == ResidentIdentity(number, birth_date, gender)


def test_110101199003071234_is_refused_its_check_character_is_3() -> None:
    assert with_check("11010119900307123") == "110101199003071233"
    with pytest.raises(InvalidIdentity) as error:
        parse_resident_id("110101199003071234", TODAY)
    assert "last character does not match" in reason_of(error)


@pytest.mark.parametrize("digit", "0123456789")
def test_the_17th_digit_odd_is_male_and_even_is_female(digit: str) -> None:
    identity = parse_resident_id(with_check(f"1101051949123100{digit}"), TODAY)
    assert identity.gender == (Gender.MALE if int(digit) % 2 else Gender.FEMALE)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "18 characters"),
        ("11010519491231002", "18 characters"),
        ("11010519491231002XX", "18 characters"),
        ("110105491231002", "18 characters"),  # a first-generation, 15-digit number
        ("1101051949123100X2", "18 characters"),
        ("11010519491231002Y", "18 characters"),
        ("１１０１０５１９４９１２３１００２Ｘ", "18 characters"),  # full-width digits
        (with_check("91010519491231002"), "not a province code"),
        (with_check("00010519491231002"), "not a province code"),
        (with_check("20010519491231002"), "not a province code"),
        (with_check("11010519490230002"), "not a real date"),
        (with_check("11010519491301002"), "not a real date"),
        (with_check("11010500000101002"), "not a real date"),
        (with_check("11010520250602002"), "in the future"),
        (with_check("11010518991231002"), "before 1900"),
        ("110105194912310021", "last character does not match"),
    ],
)
def test_an_invalid_number_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentity) as error:
        parse_resident_id(text, TODAY)
    assert reason in reason_of(error)
    assert str(error.value) == reason_of(error)


def test_the_future_is_measured_from_the_given_today() -> None:
    number = with_check("11010520250602002")
    assert parse_resident_id(number, TODAY + timedelta(days=1)).birth_date == date(2025, 6, 2)


@given(
    province=st.sampled_from(PROVINCES),
    region=st.text(alphabet="0123456789", min_size=4, max_size=4),
    birth_date=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_any_well_formed_number_parses_and_no_other_check_character_does(
    province: str, region: str, birth_date: date, sequence: str
) -> None:
    first_17 = f"{province}{region}{birth_date:%Y%m%d}{sequence}"
    number = with_check(first_17)

    identity = parse_resident_id(number, TODAY)

    assert identity.number == number
    assert identity.birth_date == birth_date
    for wrong in set("0123456789X") - {number[-1]}:
        with pytest.raises(InvalidIdentity) as error:
            parse_resident_id(first_17 + wrong, TODAY)
        assert "last character does not match" in reason_of(error)


# --- Unified social credit codes --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("91350100M000100Y43", "91350100M000100Y43"),  # a published example
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        (with_credit_check("Y1110000MA0000000"), with_credit_check("Y1110000MA0000000")),
    ],
    ids=["published", "lower-case", "spaces", "authority-Y"],
)
def test_a_valid_credit_code_is_returned_upper_case_without_spaces(text: str, code: str) -> None:
    assert parse_social_credit_code(text) == SocialCreditCode(code)


def test_the_published_credit_code_has_the_check_character_the_standard_gives() -> None:
    assert with_credit_check("91350100M000100Y4") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "18 characters"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y433", "18 characters"),
        ("91350100M000100I43", "other than I, O, S, V and Z"),
        ("91350100M000100O43", "other than I, O, S, V and Z"),
        ("91350100M000100S43", "other than I, O, S, V and Z"),
        ("91350100M000100V43", "other than I, O, S, V and Z"),
        ("91350100M000100Z43", "other than I, O, S, V and Z"),
        ("91350100Ｍ000100Y43", "other than I, O, S, V and Z"),  # full-width M
        (with_credit_check("B1350100M000100Y4"), "registration authority"),
        (with_credit_check("01350100M000100Y4"), "registration authority"),
        (with_credit_check("9135A100M000100Y4"), "region code"),
        ("91350100M000100Y44", "last character does not match"),
    ],
)
def test_an_invalid_credit_code_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentity) as error:
        parse_social_credit_code(text)
    assert reason in reason_of(error)


# --- Mobile numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "0086-138-1234-5678",
        "8613812345678",
    ],
)
def test_a_mobile_number_comes_back_as_its_11_digits(text: str) -> None:
    assert normalize_mobile(text) == "13812345678"


@pytest.mark.parametrize("first_two", ["13", "14", "15", "16", "17", "18", "19"])
def test_a_mobile_number_may_start_with_13_to_19(first_two: str) -> None:
    assert normalize_mobile(f"{first_two}012345678") == f"{first_two}012345678"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "11 digits"),
        ("1381234567", "11 digits"),
        ("138123456789", "11 digits"),
        ("+86 1381234567", "11 digits"),  # the +86 is only dropped before 11 digits
        ("+852 138 1234 5678", "11 digits"),
        ("138.1234.5678", "11 digits"),
        ("１３８１２３４５６７８", "11 digits"),  # full-width digits
        ("12812345678", "starts with 13 to 19"),
        ("02812345678", "starts with 13 to 19"),
        ("+86 128 1234 5678", "starts with 13 to 19"),
    ],
)
def test_an_invalid_mobile_number_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidContact) as error:
        normalize_mobile(text)
    assert reason in reason_of(error)


# --- E-mail addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("zhangsan@example.com", "zhangsan@example.com"),
        (" Zhang.San@Example.COM ", "Zhang.San@example.com"),
        ("张三@例子.中国", "张三@例子.中国"),
        # No DNS look-up: a domain nobody has registered is still well spelled.
        ("zhangsan@no-such-domain-for-crm-tests.cn", "zhangsan@no-such-domain-for-crm-tests.cn"),
    ],
)
def test_an_email_address_comes_back_normalized(text: str, address: str) -> None:
    assert normalize_email(text) == address


LOCAL_64 = "a" * 64
DOMAIN_189 = "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"


def test_an_email_address_may_have_254_characters() -> None:
    address = f"{LOCAL_64}@{DOMAIN_189}"
    assert len(address) == 254
    assert normalize_email(address) == address


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Enter an e-mail address"),
        ("   ", "Enter an e-mail address"),
        (f"{LOCAL_64}@b{DOMAIN_189}", "at most 254 characters"),
        ("zhangsan", "@-sign"),
        ("zhangsan@localhost", "period"),
        ("zhang san@example.com", "invalid characters"),
        ("zhang..san@example.com", "two periods in a row"),
    ],
)
def test_an_invalid_email_address_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidContact) as error:
        normalize_email(text)
    assert reason in reason_of(error)
