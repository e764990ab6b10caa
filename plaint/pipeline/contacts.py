"""Contact keys in one normal form: phone numbers in E.164, email addresses lower-cased.

Used by every channel that identifies a sender and by the resident directory, so a
resident texting from "138 0013 8000" and listed as "+86 13800138000" is one person.
"""

from __future__ import annotations

import phonenumbers

from plaint.errors import MalformedMessageError

__all__ = ["normalise_email", "normalise_phone"]


def normalise_phone(raw: str, *, region: str = "CN") -> str:
    """Return ``raw`` in E.164 form ("+8613800138000"). A number without a country code
    is read as a number of ``region``; "00" and "+" prefixes are understood.

    Raises MalformedMessageError(reason="bad_phone") when it is not a valid number or
    carries an extension (E.164 cannot hold one). The message does not repeat ``raw``."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise MalformedMessageError("not a phone number", reason="bad_phone") from exc
    if not phonenumbers.is_valid_number(number) or number.extension:
        raise MalformedMessageError("not a valid phone number", reason="bad_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Return ``raw`` stripped and lower-cased.

    Raises MalformedMessageError(reason="bad_email") unless it has exactly one "@", a
    non-empty local part, no spaces, and a dot inside the domain."""
    email = raw.strip().lower()
    local, _, domain = email.partition("@")
    labels = domain.split(".")
    if (
        email.count("@") != 1
        or not local
        or any(c.isspace() for c in email)
        or len(labels) < 2
        or not all(labels)
    ):
        raise MalformedMessageError("not a valid email address", reason="bad_email")
    return email
