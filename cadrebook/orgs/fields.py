"""Field types of a unit, shared by a row of a units file (`imports/schemas.py`) and the API's
new unit (`orgs/api.py`): the same cleaning, limits and codes (see `core/fields.py`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from cadrebook.core.fields import OptDate, RowModel, remembered, required_text
from cadrebook.core.values import clean_code

UnitCode = Annotated[str, BeforeValidator(required_text(32)), Field(min_length=1, max_length=32)]
UnitName = Annotated[str, BeforeValidator(required_text(255)), Field(min_length=1, max_length=255)]
KindCode = Annotated[str, BeforeValidator(remembered(clean_code))]


class UnitFields(RowModel):
    """What a unit is: a row of a units file and the API's new unit share it."""

    code: UnitCode
    name: UnitName
    kind: KindCode
    founded_on: OptDate = None
