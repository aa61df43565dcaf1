"""Phone and email normalisation: one person, however they type their details."""

from __future__ import annotations

import pytest

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
