"""The resident directory: normalised contact keys and the bulk import.

A resident is known by a phone number in E.164 form and/or a lower-case email address;
both are unique. :func:`import_residents` upserts rows keyed by phone, else by email, so
importing the same list twice changes nothing. A bad row is rejected with its line number
and a reason code that carries no personal data, and does not stop the rows after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.errors import MalformedMessageError, NotFoundError
from plaint.models import Resident
from plaint.pipeline.contacts import normalise_email, normalise_phone
from plaint.pipeline.csvtable import Columns
from plaint.service.csvimport import ImportResult, RejectedRowError, import_rows

__all__ = [
    "COLUMNS",
    "FIELDS",
    "ImportResult",
    "find_resident",
    "import_residents",
    "normalise_email",
    "normalise_language",
    "normalise_phone",
    "set_language",
]

# The columns an import row may carry; any other key is ignored.
FIELDS = ("name", "phone", "email", "community", "building", "unit", "language")
DEFAULT_LANGUAGE = "zh"
_LANGUAGES = {"zh": "zh", "en": "en", "中文": "zh", "汉语": "zh", "英文": "en", "英语": "en",
              "chinese": "zh", "english": "en"}  # fmt: skip
# The CSV header names of each field, in English or Chinese (folded by header_key).
COLUMNS = Columns(
    aliases={
        "name": "name", "姓名": "name",
        "phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone",
        "电话/手机": "phone",
        "email": "email", "邮箱": "email", "电子邮箱": "email",
        "community": "community", "小区": "community",
        "building": "building", "楼栋": "building", "楼号": "building",
        "unit": "unit", "单元": "unit", "房号": "unit", "单元/房号": "unit",
        "language": "language", "语言": "language",
    },
    required=(("name",), ("phone", "email")),
    hint="a name column and a phone or email column (name/姓名, phone/电话/手机, email/邮箱)",
)  # fmt: skip
# The longest value each descriptive column holds (the widths of the residents table).
_MAX_LENGTHS = {"name": 200, "community": 200, "building": 50, "unit": 50}


def normalise_language(raw: str) -> str:
    """Return "zh" or "en" for a language tag ("zh-CN", "en_US", "EN", "中文"); an empty
    value is the default, "zh". Raises MalformedMessageError(reason="bad_language")."""
    text = raw.strip().lower().replace("_", "-")
    if not text:
        return DEFAULT_LANGUAGE
    language = _LANGUAGES.get(text) or _LANGUAGES.get(text.split("-")[0])
    if language is None:
        raise MalformedMessageError("not a supported language", reason="bad_language")
    return language


def find_resident(session: Session, key: str, *, region: str = "CN") -> Resident:
    """Return the resident whose email (when ``key`` has an "@") or phone is ``key``.

    Raises MalformedMessageError for a malformed key, NotFoundError when nobody has it."""
    if "@" in key:
        resident = session.scalar(select(Resident).where(Resident.email == normalise_email(key)))
    else:
        phone = normalise_phone(key, region=region)
        resident = session.scalar(select(Resident).where(Resident.phone == phone))
    if resident is None:
        raise NotFoundError("no resident with that phone number or email address")
    return resident


def set_language(session: Session, key: str, language: str) -> Resident:
    """Set the language resident ``key`` (phone or email) is answered in, whatever their
    messages are written in; ``auto`` goes back to the detected language. Raises as
    :func:`find_resident`, and MalformedMessageError for an unsupported language."""
    resident = find_resident(session, key)
    override = None if language.strip().lower() == "auto" else normalise_language(language)
    resident.language_override = override
    return resident


def import_residents(
    session: Session,
    rows: Iterable[Mapping[str, str]],
    *,
    now: datetime,
    first_line: int = 1,
    lines: Iterable[int] | None = None,
) -> ImportResult:
    """Upsert one resident per row of ``rows`` (keys: :data:`FIELDS`) and return the counts.

    A row matches the resident with its normalised phone, else with its email. A match
    gets the row's non-empty name, community, building, unit and language, and its phone or
    email if it had none; an empty cell never clears a value. A row without a match creates
    a resident (``created_at`` = ``now``, timezone-aware). A row with a bad phone but a good
    email (or the reverse) is imported by the good key. Rejected, with the reason, and
    skipped: no usable phone or email, a phone of one resident with the email of another, a
    phone or email different from the matched resident's, a bad language, a value too long.
    Rows whose cells are all empty are skipped silently. Row ``i`` (from 0) is reported as
    line ``lines[i]``, or ``first_line + i`` without ``lines``. Each row runs in a
    savepoint; the caller owns the transaction and commits it. Raises only for database
    failures."""
    return import_rows(
        session, rows, upsert=lambda row: _upsert(session, row, now=now), lines=lines,
        first_line=first_line,
    )  # fmt: skip


def _upsert(session: Session, row: Mapping[str, str], *, now: datetime) -> str:
    phone, email = _keys(row)
    values = _values(row)
    resident = _match(session, phone, email)
    if resident is None:
        language = values.pop("language", DEFAULT_LANGUAGE)
        session.add(Resident(phone=phone, email=email, language=language, created_at=now,
                             **{"name": "", **values}))  # fmt: skip
        session.flush()
        return "created"
    if phone and resident.phone is None:
        values["phone"] = phone
    if email and resident.email is None:
        values["email"] = email
    changed = {k: v for k, v in values.items() if getattr(resident, k) != v}
    for key, value in changed.items():
        setattr(resident, key, value)
    session.flush()
    return "updated" if changed else "unchanged"


def _keys(row: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The row's normalised (phone, email); rejects the row when neither is usable."""
    raw_phone, raw_email = (row.get("phone") or "").strip(), (row.get("email") or "").strip()
    reasons: list[str] = []
    phone = email = None
    try:
        phone = normalise_phone(raw_phone) if raw_phone else None
    except MalformedMessageError as exc:
        reasons.append(exc.reason)
    try:
        email = normalise_email(raw_email) if raw_email else None
    except MalformedMessageError as exc:
        reasons.append(exc.reason)
    if phone is None and email is None:
        raise RejectedRowError("+".join(reasons) or "no_phone_or_email")
    return phone, email


def _values(row: Mapping[str, str]) -> dict[str, str]:
    """The row's non-empty descriptive values, spaces folded; rejects bad or long ones."""
    values = {}
    for key in ("name", "community", "building", "unit"):
        value = " ".join((row.get(key) or "").split())
        if len(value) > _MAX_LENGTHS[key]:
            raise RejectedRowError(f"{key}_too_long")
        if value:
            values[key] = value
    if (row.get("language") or "").strip():
        try:
            values["language"] = normalise_language(row["language"])
        except MalformedMessageError as exc:
            raise RejectedRowError(exc.reason) from None
    return values


def _match(session: Session, phone: str | None, email: str | None) -> Resident | None:
    """The one resident the keys point at; rejects keys that point at two, or a key that
    differs from the matched resident's own."""
    by_phone = session.scalar(select(Resident).where(Resident.phone == phone)) if phone else None
    by_email = session.scalar(select(Resident).where(Resident.email == email)) if email else None
    if by_phone is not None and by_email is not None and by_phone.id != by_email.id:
        raise RejectedRowError("phone_and_email_of_different_residents")
    resident = by_phone or by_email
    if resident is None:
        return None
    if email and resident.email not in (None, email):
        raise RejectedRowError("email_differs_from_resident")
    if phone and resident.phone not in (None, phone):
        raise RejectedRowError("phone_differs_from_resident")
    return resident
