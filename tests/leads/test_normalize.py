"""Phone and email normalisation: one person, however they type their details."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from maxwork_leads.leads.normalize import normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("912 345 678", "+351912345678"),
        ("+351912345678", "+351912345678"),
        ("00351 912-345-678", "+351912345678"),
        ("(+351) 912.345.678", "+351912345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_valid_numbers_become_e164(raw: str, key: str) -> None:
    phone = normalize_phone(raw, "PT")
    assert (phone.key, phone.e164, phone.warning) == (key, key, None)


def test_the_default_region_reads_national_numbers() -> None:
    assert normalize_phone("020 7946 0958", "GB").key == "+442079460958"


def test_an_invalid_number_with_enough_digits_is_kept_by_its_digits() -> None:
    phone = normalize_phone("555-0100 99", "PT")
    assert phone.key == "555010099"
    assert phone.e164 is None
    assert phone.warning is not None


@pytest.mark.parametrize("raw", ["12345", "abc", "+", ""])
def test_too_few_digits_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw, "PT")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana.Silva@Example.COM ", "ana.silva@example.com"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize("raw", ["", "ana", "ana@", "@example.com", "ana@@example.com"])
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_email(raw)


LOCAL_CHARS = "abcXYZ019.!#$%&'*+/=?^_`{|}~-\"() ,:;<>@[]\\é\u00a0"
DOMAIN_CHARS = "abcXYZ019.-_ é[]:"
SPECIAL_DOMAINS = ["localhost", "test", "example.invalid", "a.b.c.d", "1.2.3.4", "xn--bcher-kva.ch"]


@given(
    local=st.text(LOCAL_CHARS, max_size=70),
    domain=st.one_of(
        st.text(DOMAIN_CHARS, max_size=80),
        st.sampled_from(SPECIAL_DOMAINS),
        # valid labels, and addresses either side of the 254-character limit
        st.builds(
            lambda label, count: ".".join([label] * count) + ".com",
            st.text("abc-", min_size=1, max_size=63),
            st.integers(1, 8),
        ),
    ),
    padding=st.sampled_from(["", " ", "\t"]),
)
# A good domain, but 260 characters in all.
@example(local="a" * 64, domain=".".join(["b" * 63] * 3) + ".com", padding="")
# Short as Unicode, too long as the UTF-8 and IDNA forms the limit is counted on.
@example(local="a" * 64, domain=".".join(["é" * 20] * 5) + ".com", padding="")
def test_the_cached_domain_path_answers_as_the_full_validation_does(
    local: str, domain: str, padding: str
) -> None:
    raw = f"{padding}{local}@{domain}{padding}"
    expected = _outcome(lambda: _library(raw.strip()))
    assert _outcome(lambda: normalize_email(raw)) == expected
    assert _outcome(lambda: normalize_email(raw)) == expected  # the domain's verdict cached


def test_a_refused_domain_is_refused_with_the_validators_own_message() -> None:
    with pytest.raises(ValueError, match="special-use or reserved name"):
        normalize_email("ana@example.invalid")


def _library(text: str) -> str:
    """What email-validator itself makes of the whole address."""
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def _outcome(call: Callable[[], str]) -> tuple[str, str]:
    try:
        return ("ok", call())
    except ValueError as exc:
        return ("refused", str(exc))
