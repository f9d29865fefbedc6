"""Field types of a member, shared by a row of a members file (`imports/schemas.py`) and the
API's member bodies (`members/api.py`): the same cleaning, limits and codes (see
`core/fields.py`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from cadrebook.core.fields import (
    OptDate,
    RowModel,
    ShortId,
    Text32,
    Text64,
    Text128,
    Text255,
    choice,
    listed,
    required_text,
)
from cadrebook.members.choices import EducationLevel, Gender, MemberStatus, TheoryLevel

FullName = Annotated[str, BeforeValidator(required_text(200)), Field(min_length=1, max_length=200)]
GenderCode = Annotated[
    str,
    BeforeValidator(choice(list(Gender.values), required=True)),
    listed(list(Gender.values), required=True),
]
EducationCode = Annotated[
    str,
    BeforeValidator(choice(list(EducationLevel.values))),
    listed(list(EducationLevel.values)),
]
TheoryCode = Annotated[
    str, BeforeValidator(choice(list(TheoryLevel.values))), listed(list(TheoryLevel.values))
]
StatusCode = Annotated[
    str, BeforeValidator(choice(list(MemberStatus.values))), listed(list(MemberStatus.values))
]


class PersonalData(RowModel):
    """A member's personal data, as a members file and the API's member bodies take it."""

    full_name: FullName
    gender: GenderCode
    birth_date: OptDate = None
    ethnicity: Text64 = ""
    national_id: ShortId = ""
    hometown: Text255 = ""
    education_level: EducationCode = ""
    theory_level: TheoryCode = ""
    occupation: Text128 = ""
    phone: Text32 = ""
    address: Text255 = ""
