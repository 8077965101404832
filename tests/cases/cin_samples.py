"""Small hand-written CIN census documents for the importer's tests."""

from pathlib import Path


def message(children: str, *, lea: str = "201", year: int = 2024, collection: str = "CIN") -> str:
    """A whole census file: the header and the given ``Child`` elements."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>{collection}</Collection>
      <Year>{year}</Year>
      <ReferenceDate>{year}-03-31</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>{lea}</LEA>
      <SoftwareCode>Hand written</SoftwareCode>
      <Release>1</Release>
      <SerialNo>001</SerialNo>
      <DateTime>{year}-05-01T09:00:00</DateTime>
    </Source>
  </Header>
  <Children>
{children}
  </Children>
</Message>
"""


def child(
    la_child_id: str = "C1",
    *episodes: str,
    birth: str = "2015-03-27",
    sex: str = "<GenderCurrent>1</GenderCurrent>",
    characteristics: str = "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>",
) -> str:
    """A ``Child`` with a UPN (which the importer must never keep) and the given episodes."""
    identifier = f"<LAchildID>{la_child_id}</LAchildID>" if la_child_id else ""
    return f"""<Child>
  <ChildIdentifiers>
    {identifier}
    <UPN>A123456789012</UPN>
    <PersonBirthDate>{birth}</PersonBirthDate>
    {sex}
  </ChildIdentifiers>
  {characteristics}
  {"".join(episodes)}
</Child>"""


def episode(referral: str = "2023-05-02", *parts: str, closure: str = "", nfa: str = "false") -> str:
    """A ``CINdetails`` element; ``parts`` are nested records (``Assessments``, ``Section47``, ...)."""
    closed = (
        f"<CINclosureDate>{closure}</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure>"
        if closure
        else ""
    )
    referral_date = f"<CINreferralDate>{referral}</CINreferralDate>" if referral else ""
    return f"""<CINdetails>
  {referral_date}
  <ReferralSource>2A</ReferralSource>
  <PrimaryNeedCode>N1</PrimaryNeedCode>
  {closed}
  {"".join(parts)}
  <ReferralNFA>{nfa}</ReferralNFA>
</CINdetails>"""


def assessment(start: str, authorised: str = "", review: str = "", factors: tuple[str, ...] = ()) -> str:
    found = "".join(f"<AssessmentFactors>{factor}</AssessmentFactors>" for factor in factors)
    return (
        f"<Assessments><AssessmentActualStartDate>{start}</AssessmentActualStartDate>"
        + (f"<AssessmentInternalReviewDate>{review}</AssessmentInternalReviewDate>" if review else "")
        + (f"<AssessmentAuthorisationDate>{authorised}</AssessmentAuthorisationDate>" if authorised else "")
        + (f"<FactorsIdentifiedAtAssessment>{found}</FactorsIdentifiedAtAssessment>" if factors else "")
        + "</Assessments>"
    )


def cin_plan(start: str, end: str = "") -> str:
    ended = f"<CINPlanEndDate>{end}</CINPlanEndDate>" if end else ""
    return f"<CINPlanDates><CINPlanStartDate>{start}</CINPlanStartDate>{ended}</CINPlanDates>"


def section47(start: str, icpc: str = "", not_required: str = "false", target: str = "") -> str:
    return (
        f"<Section47><S47ActualStartDate>{start}</S47ActualStartDate>"
        + (f"<InitialCPCtarget>{target}</InitialCPCtarget>" if target else "")
        + (f"<DateOfInitialCPC>{icpc}</DateOfInitialCPC>" if icpc else "")
        + f"<ICPCnotRequired>{not_required}</ICPCnotRequired></Section47>"
    )


def cp_plan(start: str, end: str = "", previous: str = "0", reviews: tuple[str, ...] = ()) -> str:
    reviewed = "".join(f"<CPPreviewDate>{day}</CPPreviewDate>" for day in reviews)
    return (
        f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate>"
        + (f"<CPPendDate>{end}</CPPendDate>" if end else "")
        + "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>"
        + f"<NumberOfPreviousCPP>{previous}</NumberOfPreviousCPP>"
        + (f"<Reviews>{reviewed}</Reviews>" if reviews else "")
        + "</ChildProtectionPlans>"
    )


def write(folder: Path, text: str | bytes, name: str = "cin.xml") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Message [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails></Header>
<Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID></ChildIdentifiers></Child></Children></Message>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails></Header>
<Children><Child><ChildIdentifiers><LAchildID>&secret;</LAchildID></ChildIdentifiers></Child></Children></Message>
"""

WORKFORCE_CENSUS = """<?xml version="1.0" encoding="UTF-8"?>
<Message><Header><CollectionDetails><Collection>SWF</Collection><Year>2022</Year></CollectionDetails>
<Source><LEA>201</LEA></Source></Header><LALevelVacancies><NumberOfVacancies>3</NumberOfVacancies>
</LALevelVacancies><Worker><AgencyWorker>0</AgencyWorker></Worker></Message>
"""
