"""What the rule set says of documents (`[documents]`, docs/rulesets.md): the types and their
printed codes, which counter a document is numbered in, the issuer's printed code of a unit
kind, and how the symbol is printed. Pure functions of the rule set: no database."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import Ruleset, current_ruleset

SECTION = "documents"


@dataclass(frozen=True)
class DocumentType:
    """A type of the rule set: its English code, the code it prints, its counter."""

    type: str
    code: str
    counter: str


def document_types(rules: Ruleset | None = None) -> dict[str, DocumentType]:
    """Type code -> its printed code and counter (its own unless the rule set names one)."""
    rules = rules or current_ruleset()
    return {
        raw["type"]: DocumentType(raw["type"], raw["code"], raw.get("counter", raw["type"]))
        for raw in rules.value("documents.types")
    }


def document_type(code: str, rules: Ruleset | None = None) -> DocumentType:
    """The type `code`, or the refusal of a type the rule set does not know."""
    rules = rules or current_ruleset()
    types = document_types(rules)
    if code not in types:
        raise rules.violation(
            SECTION,
            "document.type_unknown",
            _("%(type)s is not a document type of the rule set; known: %(known)s.")
            % {"type": code, "known": ", ".join(sorted(types))},
            field="type",
        )
    return types[code]


def counter_of(
    doc_type: DocumentType, *, congress: bool, secret: bool, rules: Ruleset | None = None
) -> str:
    """The counter a document is numbered in: the congress's single counter for a congress's
    documents, else its type's; a secret document shares it unless the rule set gives
    secret documents their own (`secret_own_counter`)."""
    rules = rules or current_ruleset()
    section = rules.section(SECTION)
    if congress:
        return str(section.get("congress_counter", "congress"))
    if secret and section.get("secret_own_counter", False):
        return f"{doc_type.counter}+secret"
    return doc_type.counter


def issuer_code_of_kind(kind: str, rules: Ruleset | None = None) -> str:
    """The printed code of an issuer of unit kind `kind` (TU, ĐU…), "" when the rule set
    gives none (a term must then name it)."""
    rules = rules or current_ruleset()
    return str(rules.section(SECTION).get("issuer_codes", {}).get(kind, ""))


def render_symbol(number: int, code: str, issuer: str, rules: Ruleset | None = None) -> str:
    """The symbol from its parts, by the rule set's format: 28-NQ/TU, 01-QĐ/TW."""
    rules = rules or current_ruleset()
    section = rules.section(SECTION)
    width = int(section.get("number_width", 1))
    return str(section["symbol"]).format(number=str(number).zfill(width), code=code, issuer=issuer)


def printed_symbol(symbol: str, rules: Ruleset | None = None) -> str:
    """The symbol as the register prints it with its number: "Số 12-QĐ/ĐU"."""
    rules = rules or current_ruleset()
    return str(rules.section(SECTION).get("printed", "{symbol}")).format(symbol=symbol)


def file_limits(rules: Ruleset | None = None) -> tuple[tuple[str, ...], int]:
    """The content types a document's file may have, and its largest size in bytes."""
    rules = rules or current_ruleset()
    section = rules.section(SECTION)
    return tuple(section["file_types"]), int(section["file_max_mb"]) * 1024 * 1024


def violation(code: str, message: str, **kw: str) -> RuleViolation:
    """A refusal by the documents rules, naming their source."""
    return current_ruleset().violation(SECTION, code, message, **kw)


def file_violation(code: str, message: str, **kw: str) -> RuleViolation:
    """A refusal by the file limits (`file_types`, `file_max_mb`): they are the deployment's
    choice, not the numbering regulation's, so it names their own source (`files_source`),
    never the section's."""
    source = str(current_ruleset().section(SECTION).get("files_source", ""))
    return RuleViolation(code, message, source=source, **kw)
