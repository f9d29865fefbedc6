"""Errors that services raise when a rule of the rule set refuses an operation."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused operation: carries a stable code, a human message and the field at fault."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        return data


class RuleViolation(ServiceError):
    """A refusal by a rule of the rule set; `source` names the regulation the rule comes from."""

    def __init__(
        self, code: str, message: str, *, source: str = "", field: str | None = None
    ) -> None:
        super().__init__(code, message, field=field)
        self.source = source

    def as_dict(self) -> dict[str, str]:
        data = super().as_dict()
        if self.source:
            data["source"] = self.source
        return data

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" + (f" ({self.source})" if self.source else "")
