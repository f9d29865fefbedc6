"""The import and export file formats: a contract, documented in docs/import-formats.md.

Each kind of file has columns with a canonical English header and a Vietnamese one; headers
are matched case- and accent-insensitively. The same columns are written by the exports, so
an exported file imports again unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from cadrebook.core.normalize import normalize_name

KINDS = (
    "units",
    "members",
    "events",
    "targets",
    "documents",
    "ratings",
    "inspections",
    "disciplines",
    "inspection-programs",
    "appointments",
    "planning",
)


@dataclass(frozen=True)
class Column:
    """One column of a file format.

    `type` says how a cell is read: "text", "code" (a rule-set or system code, lower-cased),
    "date" (YYYY-MM-DD, DD/MM/YYYY or an Excel date cell), "int" (digits, in any script
    that is unambiguous), "id" (an identifier made of digits and letters, kept as text).
    """

    name: str
    vi: str
    type: str = "text"
    required: bool = False
    help: str = ""


UNIT_COLUMNS = (
    Column("code", "mã đơn vị", "text", True, "Unique code of the unit; identifies it."),
    Column("name", "tên đơn vị", "text", True, "Name of the unit."),
    Column("kind", "loại", "code", True, "Unit kind code of the rule set, e.g. cell."),
    Column(
        "parent_code", "mã đơn vị cấp trên", "text", False, "Code of the parent; empty for a root."
    ),
    Column("founded_on", "ngày thành lập", "date", False, "Date the unit was founded."),
    Column(
        "dissolved_on", "ngày giải thể", "date", False, "Date the unit was dissolved, if it was."
    ),
    Column(
        "moved_on",
        "ngày chuyển",
        "date",
        False,
        "Date a known unit stands under a new parent_code from; earlier dates keep the old one.",
    ),
    Column("document", "văn bản", "text", False, "The document deciding the move."),
)

MEMBER_COLUMNS = (
    Column(
        "external_id", "mã định danh", "id", True, "Identifier of the person in the source system."
    ),
    Column("full_name", "họ và tên", "text", True, "Full name, with diacritics."),
    Column("gender", "giới tính", "code", True, "male or female."),
    Column("birth_date", "ngày sinh", "date", False, "Date of birth."),
    Column("ethnicity", "dân tộc", "text", False, "Ethnic group."),
    Column("national_id", "số định danh cá nhân", "id", False, "National ID number."),
    Column("unit_code", "mã chi bộ", "text", True, "Code of the member's cell."),
    Column(
        "status",
        "trạng thái",
        "code",
        False,
        "applicant, probationary or full; empty: personal data only.",
    ),
    Column(
        "registered_on",
        "ngày đăng ký",
        "date",
        False,
        "For applicants: the date they were entered; default the import date.",
    ),
    Column(
        "admitted_on",
        "ngày kết nạp",
        "date",
        False,
        "Date of admission (probationary and full members).",
    ),
    Column(
        "recognized_on",
        "ngày công nhận chính thức",
        "date",
        False,
        "Date of the decision recognizing the member as a full member.",
    ),
    Column("card_number", "số thẻ đảng viên", "id", False, "Member card number (full members)."),
    Column("hometown", "quê quán", "text", False, "Hometown."),
    Column("education_level", "trình độ phổ thông", "code", False, "General education level code."),
    Column(
        "theory_level", "trình độ lý luận chính trị", "code", False, "Political theory level code."
    ),
    Column("occupation", "nghề nghiệp", "text", False, "Occupation."),
    Column("phone", "số điện thoại", "text", False, "Phone number."),
    Column("address", "địa chỉ", "text", False, "Address."),
)

EVENT_COLUMNS = (
    Column("external_id", "mã định danh", "id", True, "The member the event belongs to."),
    Column("type", "loại sự kiện", "code", True, "Event type code, e.g. admitted, transferred."),
    Column("date", "ngày", "date", True, "Date of the event."),
    Column(
        "unit_code",
        "mã chi bộ",
        "text",
        False,
        "Cell of the event (registration, admission, readmission).",
    ),
    Column("to_unit_code", "mã chi bộ chuyển đến", "text", False, "Receiving cell (transfers)."),
    Column(
        "destination",
        "nơi chuyển đến",
        "text",
        False,
        "Destination outside this deployment (transfers out).",
    ),
    Column("document", "số văn bản", "text", False, "Deciding document, e.g. 28-NQ/TU."),
    Column("reason", "lý do", "text", False, "Reason (removal, expulsion, exemption, return)."),
    Column(
        "taken_over",
        "tiếp nhận từ hồ sơ cũ",
        "code",
        False,
        "yes for a decision made before Cadrebook, copied from the old files: it is recorded "
        "as taken over and needs no document, reason or vote where the old files lack them.",
    ),
    Column("until", "đến ngày", "date", False, "End of a temporary transfer."),
    Column("for_study", "đi học", "code", False, "yes for a temporary transfer for study."),
    Column("votes_for", "số phiếu tán thành", "int", False, "The cell's vote: in favour."),
    Column("votes_against", "số phiếu không tán thành", "int", False, "The cell's vote: against."),
    Column(
        "full_members",
        "số đảng viên chính thức",
        "int",
        False,
        "The cell's full members at the vote (admission, recognition).",
    ),
)

TARGET_COLUMNS = (
    Column(
        "unit_code", "mã đơn vị", "text", True, "Unit the target is set for (its whole subtree)."
    ),
    Column("year", "năm", "int", True, "Calendar year."),
    Column(
        "indicator", "chỉ tiêu", "code", True, "Indicator code of the rule set, e.g. admissions."
    ),
    Column("target", "chỉ tiêu giao", "int", True, "The number to reach."),
)

DOCUMENT_COLUMNS = (
    Column("issuer_code", "mã đơn vị ban hành", "text", True, "Code of the issuing unit."),
    Column("type", "loại văn bản", "code", True, "Document type of the rule set, e.g. decision."),
    Column(
        "term",
        "nhiệm kỳ",
        "text",
        True,
        "The issuer's term, YYYY-YYYY (e.g. 2020-2025); a term not yet recorded is opened by "
        "the import with approximate bounds (1 January to 31 December).",
    ),
    Column("number", "số", "int", True, "Number in its counter for the issuer's term."),
    Column("date", "ngày ban hành", "date", True, "Date of the document."),
    Column("title", "trích yếu", "text", True, "Title (subject) as printed."),
    Column("signer", "người ký", "text", False, "The signer's name as printed."),
    Column(
        "confidentiality",
        "độ mật",
        "code",
        False,
        "none, restricted or secret; default none.",
    ),
    Column(
        "status",
        "trạng thái",
        "code",
        False,
        "draft, issued, amended, replaced or revoked; default issued.",
    ),
    Column(
        "symbol",
        "số ký hiệu",
        "text",
        False,
        "A printed symbol kept verbatim (legacy codes such as 12-QĐi/HU); empty: rendered "
        "from the parts by the rule set.",
    ),
    Column("abstract", "tóm tắt", "text", False, "Abstract."),
    Column("signer_position", "chức vụ người ký", "text", False, "The signer's position."),
    Column("language", "ngôn ngữ", "code", False, "Language code; default vi."),
)

# Columns that several formats share, word for word.
SUBJECT_COLUMNS = (
    Column("subject_kind", "đối tượng", "code", True, "member or unit."),
    Column(
        "subject",
        "mã đối tượng",
        "id",
        True,
        "The member's external_id (or cadrebook:<id>, as exported), or the unit's code.",
    ),
)
INSPECTING_BODY_CODE = Column(
    "body_code", "mã cơ quan kiểm tra", "text", True, "Code of the inspecting body's unit."
)


def body_kind_column(committee_default: str) -> Column:
    """The organ of a body that acts (inspections, programs, disciplines); empty: a cell's
    own meeting for a cell, `committee_default` for a committee."""
    return Column(
        "body_kind",
        "cơ quan",
        "code",
        False,
        "committee, standing_committee, inspection_committee or cell; empty: cell for a cell, "
        f"{committee_default} for a committee.",
    )


RATING_COLUMNS = (
    *SUBJECT_COLUMNS,
    Column("year", "năm", "int", True, "The year rated."),
    Column(
        "level",
        "mức xếp loại",
        "code",
        False,
        "excellent, good, completed or not_completed; may be empty when label is given.",
    ),
    Column("score", "điểm", "text", False, "Score on the framework's scale (0-100)."),
    Column("document", "văn bản", "text", False, "The deciding document, e.g. 12-QĐ/ĐU."),
    Column(
        "label",
        "xếp loại cũ",
        "text",
        False,
        "A rating label of earlier years as written (TSVM, HTT, HT, YK; DTC_HTXS…): kept, and "
        "mapped onto the level by the rule set.",
    ),
)

INSPECTION_COLUMNS = (
    Column("code", "mã cuộc kiểm tra", "id", True, "Code of the inspection; identifies it."),
    INSPECTING_BODY_CODE,
    Column(
        "kind",
        "loại kiểm tra",
        "code",
        True,
        "Kind of inspection or supervision of the rule set, e.g. thematic, surprise.",
    ),
    Column("decided_on", "ngày quyết định", "date", True, "Date of the decision to inspect."),
    Column("concluded_on", "ngày kết luận", "date", False, "Date of the conclusion, if concluded."),
    Column(
        "subject_units",
        "đơn vị được kiểm tra",
        "text",
        False,
        "Codes of the organizations inspected, separated by ;.",
    ),
    Column(
        "subject_members",
        "đảng viên được kiểm tra",
        "text",
        False,
        "External ids of the members inspected, separated by ;.",
    ),
    Column(
        "from_higher_level",
        "cấp trên kiểm tra",
        "code",
        False,
        "true when the body stands above an inspected unit's own committee; empty: as the "
        "tree says. A value the tree contradicts is refused.",
    ),
    body_kind_column("inspection_committee"),
    Column(
        "decision_document",
        "quyết định kiểm tra",
        "text",
        False,
        "Symbol of the decision in the body's register, e.g. 12-QĐ/UBKT.",
    ),
    Column(
        "conclusion_document",
        "văn bản kết luận",
        "text",
        False,
        "Symbol of the conclusion in the body's register (concluded inspections).",
    ),
    Column(
        "violations",
        "vi phạm",
        "text",
        False,
        "Subjects found in violation, subject=violation_kind separated by ; (the others: none "
        "found); concluded inspections only.",
    ),
    Column("period_from", "thời kỳ kiểm tra từ", "date", False, "Start of the period inspected."),
    Column("period_to", "thời kỳ kiểm tra đến", "date", False, "End of the period inspected."),
    Column(
        "team",
        "đoàn kiểm tra",
        "text",
        False,
        "The team's members by name, separated by ;.",
    ),
    Column("team_leader", "trưởng đoàn", "text", False, "The team's leader, one of team."),
    Column(
        "steps",
        "các bước",
        "text",
        False,
        "The steps done between the decision and the conclusion, step=date separated by ; "
        "(e.g. plan=2025-03-10); steps not given are recorded on the day of the conclusion.",
    ),
    Column(
        "recommendations",
        "kiến nghị",
        "text",
        False,
        "Concluded inspections: one recommendation a line, owner | deadline | follow-up | "
        "text; owner a unit code or as written, follow-up open, or partly or done with its "
        "date (done 2025-09-01).",
    ),
)

DISCIPLINE_COLUMNS = (
    *SUBJECT_COLUMNS,
    Column(
        "form",
        "hình thức kỷ luật",
        "code",
        True,
        "Form of the rule set: reprimand, warning, removal_from_post, expulsion, dissolution.",
    ),
    Column("body_code", "mã cơ quan quyết định", "text", True, "Code of the deciding body's unit."),
    Column("decided_on", "ngày quyết định", "date", True, "Date of the decision."),
    Column("violation_on", "ngày vi phạm", "date", True, "Date the violation was committed."),
    Column(
        "document",
        "quyết định kỷ luật",
        "text",
        False,
        "The decision as written, e.g. 05-QĐ/UBKT; linked when the body's register has it.",
    ),
    body_kind_column("committee"),
    Column(
        "violation", "nội dung vi phạm", "text", False, "The violation as the decision states it."
    ),
    Column("violation_kind", "loại vi phạm", "code", False, "Kind of violation of the rule set."),
    Column(
        "status",
        "hiệu lực",
        "code",
        False,
        "in_force, lapsed, annulled or changed (on appeal); empty or in_force for a new "
        "decision; annulled and changed need the appeal's columns.",
    ),
    Column(
        "votes",
        "kết quả biểu quyết",
        "text",
        False,
        "The deciding body's vote, form=count separated by ; (none=count for no form); "
        "empty for a past decision whose votes are not known.",
    ),
    Column("voters_total", "số thành viên biểu quyết", "int", False, "The body's full members."),
    Column(
        "proposing_for",
        "số phiếu đề nghị",
        "int",
        False,
        "Expulsion: the proposing body's votes for it.",
    ),
    Column(
        "proposing_total",
        "số thành viên đề nghị",
        "int",
        False,
        "Expulsion: the proposing body's full members.",
    ),
    Column(
        "holds_post",
        "đang giữ chức vụ",
        "code",
        False,
        "yes when the member holds a post (removal_from_post needs one); empty: not said.",
    ),
    Column(
        "raising_child_under_12_months",
        "đang nuôi con dưới 12 tháng",
        "code",
        False,
        "yes when the member raises a child under the rule set's months (refused then).",
    ),
    Column(
        "members_to",
        "đơn vị tiếp nhận đảng viên",
        "text",
        False,
        "Dissolution: code of the unit the members are handed over to (required when the "
        "organization still has members).",
    ),
    Column(
        "appeal_outcome",
        "kết quả khiếu nại",
        "code",
        False,
        "The appeal against the decision: pending, upheld, changed or annulled; empty: none.",
    ),
    Column("appeal_lodged_on", "ngày khiếu nại", "date", False, "The day the appeal was lodged."),
    Column(
        "appeal_received_on",
        "ngày nhận quyết định",
        "date",
        False,
        "The day the member received the decision; default the day of the appeal.",
    ),
    Column(
        "appeal_body_code",
        "mã cơ quan giải quyết khiếu nại",
        "text",
        False,
        "Code of the unit of the body deciding the appeal.",
    ),
    Column(
        "appeal_body_kind",
        "cơ quan giải quyết khiếu nại",
        "code",
        False,
        "committee, standing_committee or inspection_committee.",
    ),
    Column(
        "appeal_decided_on",
        "ngày giải quyết khiếu nại",
        "date",
        False,
        "The day the appeal was decided (upheld, changed, annulled).",
    ),
    Column(
        "appeal_new_form",
        "hình thức sau khiếu nại",
        "code",
        False,
        "changed: the form the appeal decided instead.",
    ),
    Column(
        "appeal_document",
        "văn bản giải quyết khiếu nại",
        "text",
        False,
        "The appeal's decision as written.",
    ),
    Column(
        "relations",
        "quan hệ với cơ quan quyết định",
        "text",
        False,
        "The subject's relations to the deciding body on which its authority rests, codes of "
        "the rule set separated by ; (member, organization: read from the tree; others, e.g. "
        "own_committee_member, as declared).",
    ),
    Column(
        "may_admit",
        "cơ quan có quyền kết nạp",
        "code",
        False,
        "yes when the deciding body was declared to hold the power to admit.",
    ),
)

PROGRAM_COLUMNS = (
    INSPECTING_BODY_CODE,
    Column("year", "năm", "int", True, "The program's year."),
    body_kind_column("inspection_committee"),
    Column(
        "title",
        "tên chương trình",
        "text",
        False,
        "The program's title; empty: named after the year. A program is one per body and year: "
        "its rows repeat the body and the year, one planned item each.",
    ),
    Column(
        "document",
        "văn bản ban hành chương trình",
        "text",
        False,
        "The document adopting the program, e.g. 01-CTr/UBKT; linked when the body's register "
        "has it.",
    ),
    Column(
        "kind",
        "loại kiểm tra",
        "code",
        False,
        "A planned item: its kind of inspection or supervision of the rule set; empty: a row of "
        "the program alone.",
    ),
    Column(
        "subject_unit",
        "đơn vị được kiểm tra",
        "text",
        False,
        "A planned item: code of the organization to inspect (below the body).",
    ),
    Column(
        "subject",
        "đối tượng kiểm tra",
        "text",
        False,
        "A planned item: the subject as written (a member, the members of a committee…) when "
        "it is not one organization.",
    ),
    Column("planned_from", "thời gian dự kiến từ", "date", False, "Start of the planned period."),
    Column("planned_to", "thời gian dự kiến đến", "date", False, "End of the planned period."),
)

APPOINTMENT_COLUMNS = (
    Column(
        "unit_code", "mã đơn vị", "text", True, "Code of the unit whose committee the post is in."
    ),
    Column("position", "chức vụ", "code", True, "Position code of the rule set, e.g. secretary."),
    Column(
        "member",
        "mã đảng viên",
        "id",
        True,
        "External id of the member holding it (or cadrebook:<id> as exports write it).",
    ),
    Column("how", "hình thức", "code", True, "elected, appointed, acting or seconded."),
    Column("started_on", "từ ngày", "date", True, "First day the post is held."),
    Column(
        "planned_end",
        "dự kiến kết thúc",
        "date",
        False,
        "Acting or seconded: until when; an appointment's is the rule set's length.",
    ),
    Column(
        "ended_on",
        "ngày thôi giữ",
        "date",
        False,
        "Last day the post was held; given: a past post taken over from the old files.",
    ),
    Column(
        "end_reason",
        "lý do thôi giữ",
        "code",
        False,
        "With ended_on: resigned, dismissed, end_of_term, removed_by_discipline or retired.",
    ),
    Column(
        "document",
        "quyết định",
        "text",
        False,
        "The decision, e.g. 12-QĐ/ĐU; linked when the register has it, else kept as written.",
    ),
    Column("votes_for", "số phiếu tán thành", "int", False, "Elected: the votes for."),
    Column("votes_cast", "số phiếu bầu", "int", False, "Elected: the votes cast."),
)

PLANNING_COLUMNS = (
    Column("unit_code", "mã đơn vị", "text", True, "Code of the unit the planned post is in."),
    Column("position", "chức vụ", "code", True, "Position code of the rule set, e.g. secretary."),
    Column(
        "term",
        "nhiệm kỳ",
        "text",
        False,
        "The unit's committee term the planning is made in: its label (2020-2025) or first "
        "year; empty: the term covering added_on.",
    ),
    Column(
        "member",
        "mã đảng viên",
        "id",
        True,
        "External id of the person planned (or cadrebook:<id> as exports write it).",
    ),
    Column("added_on", "ngày đưa vào quy hoạch", "date", True, "First day in the planning."),
    Column(
        "document",
        "quyết định phê duyệt",
        "text",
        False,
        "The competent body's approval, e.g. 05-QĐ/TU; linked when the register has it, else "
        "kept as written. Required for a person in the planning now.",
    ),
    Column(
        "removed_on",
        "ngày đưa ra khỏi quy hoạch",
        "date",
        False,
        "First day out of the planning; given: a past entry taken over from the old files.",
    ),
    Column(
        "removal_reason",
        "lý do đưa ra",
        "code",
        False,
        "With removed_on: review, age_limit, discipline, confidence_vote, appointed or other.",
    ),
    Column(
        "removal_note",
        "ghi chú",
        "text",
        False,
        "Why, in words; required for the reasons review and other.",
    ),
    Column(
        "removal_document",
        "quyết định đưa ra",
        "text",
        False,
        "The decision that took the person out, kept as written.",
    ),
)

FORMATS: dict[str, tuple[Column, ...]] = {
    "units": UNIT_COLUMNS,
    "members": MEMBER_COLUMNS,
    "events": EVENT_COLUMNS,
    "targets": TARGET_COLUMNS,
    "documents": DOCUMENT_COLUMNS,
    "ratings": RATING_COLUMNS,
    "inspections": INSPECTION_COLUMNS,
    "disciplines": DISCIPLINE_COLUMNS,
    "inspection-programs": PROGRAM_COLUMNS,
    "appointments": APPOINTMENT_COLUMNS,
    "planning": PLANNING_COLUMNS,
}


def header_key(text: str) -> str:
    """How headers are compared: accents, case, spaces and underscores do not matter."""
    return " ".join(normalize_name(str(text)).replace("_", " ").split())


def header_map(kind: str) -> dict[str, str]:
    """Every accepted spelling of a header (by `header_key`) -> the canonical column name."""
    mapping: dict[str, str] = {}
    for col in FORMATS[kind]:
        mapping[header_key(col.name)] = col.name
        mapping[header_key(col.vi)] = col.name
    return mapping


# The column the validation report adds to the rows it gives back; an import ignores it, so
# a fixed report imports as it is.
ERRORS_COLUMN = "import_errors"
IGNORED_HEADERS = frozenset({header_key(ERRORS_COLUMN)})
