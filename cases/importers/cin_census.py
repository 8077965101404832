"""The DfE Children in Need census (XML, schema years 2017 onwards).

The file is read as a stream: each ``Message/Children/Child`` element is turned into records as soon
as it is complete and is then dropped, so memory stays flat however many children the file holds.
Entity declarations (the "billion laughs" bomb) and external entities are refused by ``defusedxml``.

What is kept: the LA child ID, the month of birth (never the date), sex, ethnicity and disabilities
of each child, and every episode (``CINdetails``) with its assessments, CIN plans, section 47
enquiries and child protection plans. UPNs, former UPNs and names are never read.

Each record stands on its own identity (the child and the record's start date, as
``shared/spec/measures.md`` says): a record with an unusable date is listed as a problem and left
out, and the records nested beside it are kept.
"""

import re
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

from cases.importers.base import (
    Batch,
    FileRejected,
    RecordRejected,
    birth_month,
    code,
    parse_bool,
    parse_count,
    parse_date,
    require_date,
    require_order,
)
from cases.models import ImportFormat

# The census writes xs:date values only; "01/02/2024" in a CIN file is an error, not a UK date.
ISO = ("%Y-%m-%d",)
LA_CHILD_ID_MAX = 40  # Child.la_child_id; a longer ID would be cut and could merge two children
PREVIOUS_PLANS_MAX = 32767  # CPPlan.previous_plans is a PositiveSmallIntegerField


def _local(tag: str) -> str:
    """The tag without its namespace: the DfE schemas declare none, but some exports add one."""
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------------------------------------------
# Detection


_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_FIRST_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_COLLECTION = re.compile(r"<(?:[\w.-]+:)?Collection\s*>([^<]*)<")
_CHILDREN = re.compile(r"<(?:[\w.-]+:)?Children[\s>]")
_CHILD = re.compile(r"<(?:[\w.-]+:)?Child[\s>/]")


def _decode(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")


def _without_doctype(text: str) -> str:
    """The text less its document type declaration, internal subset included (found with plain
    searches: a regular expression would backtrack badly on a hostile head)."""
    start = text.find("<!DOCTYPE")
    if start < 0:
        return text
    close = text.find(">", start)
    bracket = text.find("[", start)
    if 0 <= bracket < close or (close < 0 and bracket >= 0):
        subset_end = text.find("]", bracket)
        close = text.find(">", subset_end) if subset_end >= 0 else -1
    return text[:start] if close < 0 else text[:start] + text[close + 1 :]


def detect(head: bytes, filename: str) -> str | None:
    """``ImportFormat.CIN_CENSUS`` when the head is XML whose root is ``Message`` with a CIN
    collection (or, without a header, a ``Children``/``Child`` structure), or whose root is
    ``Children`` holding ``Child`` elements. Any other bytes give None; nothing raises."""
    text = _without_doctype(_COMMENT.sub("", _decode(head)))
    lead = text.lstrip()
    if not lead.startswith("<"):
        return None
    root = _FIRST_TAG.search(lead)
    if root is None:
        return None
    if root.group(1) == "Message":
        collection = _COLLECTION.search(text)
        if collection is not None:
            return ImportFormat.CIN_CENSUS if collection.group(1).strip().upper() == "CIN" else None
        return ImportFormat.CIN_CENSUS if _CHILDREN.search(text) and _CHILD.search(text) else None
    if root.group(1) == "Children":
        return ImportFormat.CIN_CENSUS if _CHILD.search(text) else None
    return None


# ---------------------------------------------------------------------------------------------------
# Reading one record


class _Fields:
    """Reads the fields of one element, collecting every problem rather than stopping at the first,
    so that the import report names all that is wrong with a record at once."""

    def __init__(self, element: Element):
        self.element = element
        self.errors: list[RecordRejected] = []

    def _try(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except RecordRejected as exc:
            self.errors.append(exc)
            return None

    def text(self, path: str) -> str | None:
        return self.element.findtext(path)

    def day(self, path: str, *, required: bool = False) -> date | None:
        # The commonest read (up to six dates a record), so without _try's closure.
        read = require_date if required else parse_date
        try:
            return read(self.element.findtext(path), path.rsplit("/", 1)[-1], formats=ISO)
        except RecordRejected as exc:
            self.errors.append(exc)
            return None

    def days(self, path: str) -> list[date]:
        name = path.rsplit("/", 1)[-1]
        found = []
        for element in self.element.iterfind(path):
            day = self._try(partial(parse_date, element.text, name, formats=ISO))
            if day is not None:
                found.append(day)
        return found

    def flag(self, path: str) -> bool | None:
        return self._try(lambda: parse_bool(self.text(path), path.rsplit("/", 1)[-1]))

    def count(self, path: str, maximum: int) -> int | None:
        name = path.rsplit("/", 1)[-1]
        number = self._try(lambda: parse_count(self.text(path), name))
        if number is not None and number > maximum:
            self.errors.append(RecordRejected(name, f"{number} is larger than {maximum}"))
            return None
        return number

    def order(self, start: date | None, end: date | None, start_field: str, end_field: str) -> None:
        self._try(lambda: require_order(start, end, start_field, end_field))

    def codes(self, path: str, max_length: int = 10) -> list[str]:
        """The distinct non-empty codes at ``path``, in file order."""
        found = (code(e.text, max_length) for e in self.element.iterfind(path))
        return list(dict.fromkeys(value for value in found if value))

    def report(self, batch: Batch, child: str, where: str, what: str) -> bool:
        """List each problem; True when there was none, so the record can be stored."""
        for error in self.errors:
            batch.reject(child, error.field, f"{error.reason}; {what}", where)
        return not self.errors


def _episode_parts(details: Element) -> int:
    return 1 + sum(
        len(details.findall(tag))
        for tag in ("Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans")
    )


def _read_child(child: Element, position: int, batch: Batch) -> None:
    """Add one ``Child`` element's child and records to the batch, or list why they cannot be."""
    where = f"Child {position}"
    la_child_id = (child.findtext("ChildIdentifiers/LAchildID") or "").strip()
    if not la_child_id or len(la_child_id) > LA_CHILD_ID_MAX:
        records = sum(_episode_parts(details) for details in child.iterfind("CINdetails"))
        reason = "is missing" if not la_child_id else f"is longer than {LA_CHILD_ID_MAX} characters"
        batch.reject(
            la_child_id[:LA_CHILD_ID_MAX],
            "LAchildID",
            f"{reason}: the child and its {records} record(s) are not imported",
            where,
        )
        return

    identifiers = child.find("ChildIdentifiers")
    assert identifiers is not None  # LAchildID was found inside it
    person = _Fields(identifiers)
    born = person.day("PersonBirthDate")
    # Files up to 2023 say GenderCurrent, later ones Sex; a file carrying both is read as GenderCurrent.
    sex = person.text("GenderCurrent")
    if sex is None:
        sex = person.text("Sex")
    for error in person.errors:
        batch.reject(la_child_id, error.field, f"{error.reason}; the child is imported without it", where)
    # None leaves a field as another file set it: only what this file says is recorded.
    ethnicity, disabilities = None, None
    characteristics = child.find("ChildCharacteristics")
    if characteristics is not None:
        ethnicity = code(characteristics.findtext("Ethnicity")) or None
        disabilities = _Fields(characteristics).codes("Disabilities/Disability")
    batch.add_child(
        la_child_id,
        birth_month=birth_month(born),
        sex=code(sex) or None,
        ethnicity=ethnicity,
        disabilities=disabilities,
    )
    for number, details in enumerate(child.iterfind("CINdetails"), start=1):
        _read_episode(details, la_child_id, f"{where}, CINdetails {number}", batch)


def _read_episode(details: Element, la_child_id: str, where: str, batch: Batch) -> None:
    """One ``CINdetails``: the referral, then each record nested in it, each on its own identity."""
    episode = _Fields(details)
    referral_date = episode.day("CINreferralDate", required=True)
    closure_date = episode.day("CINclosureDate")
    episode.order(referral_date, closure_date, "CINreferralDate", "CINclosureDate")
    initial_cpc_date = episode.day("DateOfInitialCPC")
    nfa = episode.flag("ReferralNFA")
    if episode.report(batch, la_child_id, where, "the referral is not imported"):
        batch.add_event(
            "referrals",
            la_child_id,
            referral_date=referral_date,
            referral_source=code(episode.text("ReferralSource"), 4),
            primary_need=code(episode.text("PrimaryNeedCode"), 4),
            nfa=nfa,
            closure_date=closure_date,
            closure_reason=code(episode.text("ReasonForClosure"), 4),
            initial_cpc_date=initial_cpc_date,
        )

    for number, element in enumerate(details.iterfind("Assessments"), start=1):
        record = _Fields(element)
        start = record.day("AssessmentActualStartDate", required=True)
        review = record.day("AssessmentInternalReviewDate")
        authorised = record.day("AssessmentAuthorisationDate")
        record.order(start, authorised, "AssessmentActualStartDate", "AssessmentAuthorisationDate")
        # Factors sit in FactorsIdentifiedAtAssessment; ".//" also takes them where a file leaves it out.
        factors = record.codes(".//AssessmentFactors")
        if record.report(
            batch, la_child_id, f"{where}, Assessment {number}", "the assessment is not imported"
        ):
            batch.add_event(
                "assessments",
                la_child_id,
                start_date=start,
                internal_review_date=review,
                authorisation_date=authorised,
                factors=factors,
                referral_date=referral_date,
            )

    for number, element in enumerate(details.iterfind("CINPlanDates"), start=1):
        record = _Fields(element)
        start = record.day("CINPlanStartDate", required=True)
        end = record.day("CINPlanEndDate")
        record.order(start, end, "CINPlanStartDate", "CINPlanEndDate")
        if record.report(batch, la_child_id, f"{where}, CIN plan {number}", "the CIN plan is not imported"):
            batch.add_event(
                "cin_plans", la_child_id, start_date=start, end_date=end, referral_date=referral_date
            )

    for number, element in enumerate(details.iterfind("Section47"), start=1):
        record = _Fields(element)
        start = record.day("S47ActualStartDate", required=True)
        target = record.day("InitialCPCtarget")
        icpc = record.day("DateOfInitialCPC")
        not_required = record.flag("ICPCnotRequired")
        if record.report(
            batch, la_child_id, f"{where}, Section47 {number}", "the section 47 enquiry is not imported"
        ):
            batch.add_event(
                "section47s",
                la_child_id,
                start_date=start,
                icpc_target=target,
                icpc_date=icpc,
                icpc_not_required=not_required,
                referral_date=referral_date,
            )

    for number, element in enumerate(details.iterfind("ChildProtectionPlans"), start=1):
        record = _Fields(element)
        start = record.day("CPPstartDate", required=True)
        end = record.day("CPPendDate")
        record.order(start, end, "CPPstartDate", "CPPendDate")
        previous = record.count("NumberOfPreviousCPP", PREVIOUS_PLANS_MAX)
        reviews = sorted({day.isoformat() for day in record.days("Reviews/CPPreviewDate")})
        if record.report(
            batch, la_child_id, f"{where}, CP plan {number}", "the child protection plan is not imported"
        ):
            batch.add_event(
                "cp_plans",
                la_child_id,
                start_date=start,
                end_date=end,
                initial_category=code(record.text("InitialCategoryOfAbuse"), 4),
                latest_category=code(record.text("LatestCategoryOfAbuse"), 4),
                previous_plans=previous,
                review_dates=reviews,
                referral_date=referral_date,
            )


# ---------------------------------------------------------------------------------------------------
# The file


CHILDREN_PER_CHUNK = 2000  # children parsed, then stored, at a time: memory stays flat as the file grows


def parse(path: Path, file_format: str, filename: str) -> Batch:
    """Read a whole CIN census file into one batch (see ``parse_chunks``)."""
    [batch] = _batches(path, file_format, filename, children_per_chunk=None)
    return batch


def parse_chunks(path: Path, file_format: str, filename: str) -> Iterator[Batch]:
    """Read a CIN census file as batches of ``CHILDREN_PER_CHUNK`` children (the last may hold
    fewer), each yielded once its children are read and before the next are read: the importer
    stores one while the file's later children are still on disk. A child repeated in a later
    batch is stored again from it: the later occurrence wins, as within one batch.

    Raises ``FileRejected``, possibly after some batches (the caller's transaction then keeps none
    of them), for an empty file, a file that is not well-formed XML, XML that declares entities or
    refers to external ones, and XML that is not a CIN census (another root element, or a header
    naming another collection)."""
    return _batches(path, file_format, filename, children_per_chunk=CHILDREN_PER_CHUNK)


def _batches(
    path: Path, file_format: str, filename: str, *, children_per_chunk: int | None
) -> Iterator[Batch]:
    if Path(path).stat().st_size == 0:
        raise FileRejected("The file is empty: a CIN census is an XML file with a Message element.")
    try:
        with open(path, "rb") as stream:
            yield from _read(stream, file_format, filename, children_per_chunk)
    except EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            raise FileRejected(
                f"The file declares an external entity ({exc.name!r} → {exc.sysid or exc.pubid!r}): "
                "external entities are refused, as they can read files from the server."
            ) from None
        raise FileRejected(
            f"The file declares the XML entity {exc.name!r}: entity declarations are refused, as they "
            "can expand a small file into gigabytes (an 'XML bomb'). A CIN census needs none."
        ) from None
    except ExternalReferenceForbidden as exc:
        raise FileRejected(
            f"The file refers to an external resource ({exc.sysid or exc.pubid!r}): external entities are refused."
        ) from None
    except DefusedXmlException as exc:
        raise FileRejected(f"The file uses XML features that are refused for safety: {exc}.") from None
    except ParseError as exc:
        if "no element found" in str(exc) and not _has_content(path):
            raise FileRejected(
                "The file is empty: a CIN census is an XML file with a Message element."
            ) from None
        raise FileRejected(f"The file is not well-formed XML ({exc}).") from None


def _has_content(path: Path) -> bool:
    with open(path, "rb") as stream:
        return bool(stream.read(65536).strip())


def _read(stream: Any, file_format: str, filename: str, children_per_chunk: int | None) -> Iterator[Batch]:
    batch = Batch(file=filename, file_format=file_format)
    stack: list[Element] = []
    children_seen = 0
    found_children = yielded = False
    for event, element in iterparse(stream, events=("start", "end")):
        if event == "start":
            if "}" in element.tag:
                element.tag = _local(element.tag)
            if not stack and element.tag not in {"Message", "Children"}:
                raise FileRejected(
                    f"This is not a CIN census: the XML's root element is <{element.tag}>, "
                    "where a CIN census has <Message>."
                )
            stack.append(element)
            found_children = found_children or element.tag == "Children"
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if element.tag == "Child" and parent is not None and parent.tag == "Children":
            children_seen += 1
            _read_child(element, children_seen, batch)
            # Drop the child once read, so the tree never grows with the file.
            element.clear()
            parent.remove(element)
            if children_per_chunk and len(batch.children) >= children_per_chunk:
                yield batch
                yielded = True
                batch = Batch(file=filename, file_format=file_format, authority_code=batch.authority_code)
        elif stack and stack[0].tag == "Message" and len(stack) >= 2 and stack[1].tag == "Header":
            _read_header(element, batch)
    if not found_children:
        raise FileRejected("This is not a CIN census: the XML has no <Children> element under <Message>.")
    if batch.children or batch.problems or not yielded:
        yield batch


def _read_header(element: Element, batch: Batch) -> None:
    value = (element.text or "").strip()
    if element.tag == "LEA" and value:
        batch.authority_code = value
    elif element.tag == "Collection" and value and value.upper() != "CIN":
        raise FileRejected(
            f"This is not a CIN census: the header names the collection {value!r}, where a CIN census says 'CIN'."
        )
