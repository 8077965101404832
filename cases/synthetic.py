"""Synthetic statutory returns (CIN census XML, SSDA903 CSVs) for the demo and the benchmarks.

Everything is made up as an authority would hold it on an "as-of" date (by default the end of the
last census year; the demo passes today). Each made-up child gets a whole history first (referrals,
assessments, section 47 enquiries, child protection plans, CIN plans and, for a few, periods of
care) running up to the as-of date, then that history is written as the returns would show it:
one CIN census file per census year holding every child with an episode open at some point in that
year, as known on the year's reference date (a closure after 31 March is not yet known, so
consecutive files overlap and the later one completes the earlier), and one SSDA903 header and
episodes file as known at the end of the last census year (the SSDA903 is a yearly return too).
Nothing dated after the as-of date is written: it has not happened yet. (A section 47 enquiry's
``InitialCPCtarget`` is the one date that may lie beyond a census reference date: it is a deadline
set on the enquiry's first day, not an event.)

Nothing written identifies anyone: no names, no UPNs (``UPNunknown`` for the under-sixes), made-up
but well-formed postcodes. The same arguments give byte-identical files: every authority draws from
its own ``random.Random`` seeded from the seed and its code, nothing depends on the clock or on
dict/set ordering. Children are simulated and written one at a time, so memory stays flat however
many children and authorities are asked for.

Given team names, each authority also gets an Ofsted Annex A workbook running from the start of the
last census year to the as-of date (List 3 referrals, List 4 assessments, List 5 section 47
enquiries, List 6 CIN plans, List 7 child protection plans, List 8 children looked after), naming
each child's allocated team. It is how the months since the last census reach the platform: its
records are the very records of the census and SSDA903 files, with the same dates and codes, as
known on the as-of date. When the as-of date is the last census reference date, importing it after
the returns changes no record and only links children to teams; when it is later, it adds the
referrals, assessments, enquiries, plans and periods of care since, and the ends and conferences
the census did not know yet.

``bad_rate`` spoils that share of the written records on purpose (an impossible date such as
2023-02-30, an end before its start, a missing child identifier) so that an import report has
rejected records to show.
"""

import csv
import json
import shutil
import zipfile
from bisect import bisect_right
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from os import PathLike
from pathlib import Path
from random import Random
from typing import IO, Any

import holidays
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

# --- What is written -------------------------------------------------------------------------------

DEFAULT_YEARS = range(2019, 2026)  # census years, named by the 31 March they end on
CENSUS_YEARS = 7  # how many census years an as-of date gives when none are named
DEFAULT_BAD_RATE = 0.005  # low enough that a demo import report shows a handful of rejections
FIRST_DEFAULT_CODE = 801  # codes 801, 802, ... when none are given: not used by any real authority
SOFTWARE_CODE = "qa_system.synthetic"
RELEASE = "1.0"
HEADER_903 = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES_903 = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
ANNEX_A_FILE = "annex_a.xlsx"
TEAM_NAME_MAX = 120  # Team.name
# The leading columns every Annex A list starts with, then the allocated team.
ANNEX_A_COMMON = (
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Allocated team",
)
ANNEX_A_REFERRALS = ("Date of referral", "Referral source", "Referral NFA")
ANNEX_A_ASSESSMENTS = ("Continuous Assessment Start Date", "Continuous Assessment Date of Authorisation")
ANNEX_A_SECTION47S = (
    "Strategy discussion initiating Section 47 Enquiry Start Date",
    "Was an Initial Child Protection Conference deemed unnecessary?",
    "Date of Initial Child Protection Conference",
)
# The importer reads List 6 as CIN plans (start and end), so that is what it is given.
ANNEX_A_CIN_PLANS = ("CIN Plan Start Date", "CIN Plan End Date")
ANNEX_A_PLANS = (
    "Child Protection Plan Start Date",
    "Initial Category of Abuse",
    "Latest Category of Abuse",
    "Child Protection Plan End Date",
    "Number of Previous Child Protection Plans",
)
# A period of care is stored as its first SSDA903 episode (the importer's identity is the child and
# the start date), so the list gives what holds at entry to care and no end: the end and reason of a
# period of several episodes are not those of its first episode, and writing them would change it.
ANNEX_A_CARE = (
    "Date started to be looked after",
    "Child's category of need",
    "Legal status at entry to care",
    "First placement type",
    "First placement provider",
    "First placement postcode",
    "First placement URN",
)
ANNEX_A_SHEETS = (
    ("List 3 - Referrals", ANNEX_A_REFERRALS),
    ("List 4 - Assessments", ANNEX_A_ASSESSMENTS),
    ("List 5 - Section 47", ANNEX_A_SECTION47S),
    ("List 6 - Children in Need", ANNEX_A_CIN_PLANS),
    ("List 7 - Child Protection", ANNEX_A_PLANS),
    ("List 8 - Children Looked After", ANNEX_A_CARE),
)
ANNEX_A_SEX = {"1": "a) Male", "2": "b) Female", "0": "c) Not known", "9": "d) Indeterminate"}
ANNEX_A_ABUSE = {
    "NEG": "Neglect",
    "EMO": "Emotional abuse",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "MUL": "Multiple/not recommended",
}

# --- Proportions (national figures of the CIN census and SSDA903 returns, rounded) ------------------

# First referrals start up to two years before the first census year, so that the first file already
# holds cases, plans and periods of care that were running on 1 April.
LEAD_IN_DAYS = 730
# After an episode closes the child is referred again with this chance, and that next referral falls
# within 12 months of the previous one with the second chance: together they give a re-referral rate
# of about 22% of referrals and 1.3-1.5 referrals per child over seven years.
P_ANOTHER_REFERRAL = 0.40
P_NEXT_WITHIN_12M = 0.68
# About 10% of referrals end with no further action (closed the day they arrive, RC8).
P_NFA = 0.10
# Most referrals that are not NFA are assessed (about 85% of all referrals).
P_ASSESSMENT = 0.94
# About 83% of assessments are authorised within 45 working days; the rest run on, some to 100.
P_ASSESSMENT_OVER_45WD = 0.17
# Section 47 enquiries for about 20% of all referrals (0.22 of those that are not NFA).
P_S47 = 0.22
# An initial child protection conference follows about 65% of enquiries, 78% of them within 15
# working days of the enquiry's start.
P_ICPC = 0.65
P_ICPC_WITHIN_15WD = 0.78
# About half of the conferences make a child protection plan.
P_CPP_AFTER_ICPC = 0.55
# Plan lengths in days: (weight, shortest, longest); some end right around two years and some run on
# beyond, so that the "plans ended lasting two years or more" measure has both sides of its boundary.
CPP_LENGTH_BANDS = ((0.30, 90, 182), (0.33, 183, 365), (0.25, 366, 700), (0.05, 701, 760), (0.07, 761, 1100))
P_CPP_EXACTLY_2Y = 0.04  # plans ending on the day before, on, or the day after their second anniversary
# Children with plans before the data begins (so NumberOfPreviousCPP is 1 or 2 from their first plan):
# with the repeat plans inside the data, about 20% of plans are repeats, as nationally.
P_PRIOR_CPP = 0.16
# Categories of abuse of a plan: neglect and emotional abuse dominate.
CATEGORIES = {"NEG": 0.49, "EMO": 0.36, "PHY": 0.07, "SAB": 0.04, "MUL": 0.04}
P_CATEGORY_CHANGES = 0.12  # the latest category differs from the initial one
# After an assessment without a plan, a CIN plan follows for about 40% of children; the rest close.
P_CIN_PLAN = 0.40
# After a child protection plan ends, a CIN plan "steps down" for about half.
P_STEP_DOWN = 0.55
# Entry to care (a small looked-after population: about 7% of children referred).
P_CARE_FROM_CPP = 0.18  # the plan ends because the child becomes looked after
P_CARE_FROM_CIN_PLAN = 0.05
P_CARE_AT_ASSESSMENT = 0.012  # emergency entry during an assessment
# Length of a period of care in days: (weight, shortest, longest).
CARE_LENGTH_BANDS = ((0.30, 30, 365), (0.40, 366, 1095), (0.30, 1096, 2500))
P_ADOPTION_PATH = 0.12  # periods of care that go C1 -> C2 -> E1 -> placed for adoption -> adopted
P_LEGAL_CHANGE = 0.40  # at a change within a period of care, the legal status moves on (else placement)
P_LEGAL_CHANGE_WITH_PLACEMENT = 0.30  # ... and the placement changes at the same time (RNE U, or B)
P_SAME_CARERS = 0.25  # a placement change keeps the carers (short- to long-term fostering: RNE T, or B)
# Placement types: about 18% kinship (U1-U3), 56% other fostering (U4-U6), 14% children's homes,
# 8% placed with parents (care orders only), 4% others as fostering again.
PLACEMENTS = {
    "U1": 0.04,
    "U2": 0.01,
    "U3": 0.13,
    "U4": 0.14,
    "U5": 0.02,
    "U6": 0.44,
    "K2": 0.14,
    "P1": 0.08,
}
SAME_CARERS = {"U3": "U1", "U6": "U4", "U2": "U1", "U5": "U4"}  # short-term to long-term, same family
KINSHIP = frozenset({"U1", "U2", "U3"})
# Disabilities: about 8% of children have some recorded, about 20% have NONE written.
P_DISABLED = 0.08
P_DISABILITY_NONE = 0.20

SEXES = {"1": 0.505, "2": 0.485, "0": 0.006, "9": 0.004}  # GenderCurrent: 0 not recorded, 9 indeterminate
# DfE ethnicity codes, roughly the CIN population of England.
ETHNICITIES = {
    "WBRI": 0.64,
    "WIRI": 0.005,
    "WIRT": 0.003,
    "WOTH": 0.06,
    "WROM": 0.01,
    "MWBC": 0.03,
    "MWBA": 0.01,
    "MWAS": 0.02,
    "MOTH": 0.03,
    "AIND": 0.015,
    "APKN": 0.03,
    "ABAN": 0.015,
    "AOTH": 0.015,
    "BCRB": 0.015,
    "BAFR": 0.04,
    "BOTH": 0.01,
    "CHNE": 0.003,
    "OOTH": 0.02,
    "REFU": 0.005,
    "NOBT": 0.02,
}
DISABILITIES = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA")
# Age at first referral, 0 to 17: babies and young teenagers are referred most.
AGE_WEIGHTS = (9, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 7, 7, 6, 4, 3)
# ReferralSource: police, schools and health make most referrals.
REFERRAL_SOURCES = {
    "1A": 0.04,
    "1B": 0.01,
    "1C": 0.02,
    "2A": 0.19,
    "2B": 0.02,
    "3A": 0.03,
    "3B": 0.02,
    "3C": 0.01,
    "3D": 0.02,
    "3E": 0.03,
    "3F": 0.04,
    "4": 0.02,
    "5A": 0.03,
    "5B": 0.03,
    "5C": 0.02,
    "5D": 0.03,
    "6": 0.29,
    "7": 0.02,
    "8": 0.05,
    "9": 0.01,
    "10": 0.01,
}
PRIMARY_NEEDS = {
    "N1": 0.57,
    "N2": 0.04,
    "N3": 0.04,
    "N4": 0.09,
    "N5": 0.14,
    "N6": 0.02,
    "N7": 0.01,
    "N8": 0.06,
    "N9": 0.025,
    "N0": 0.005,
}
CATEGORY_OF_NEED_903 = {
    "N1": 0.65,
    "N2": 0.03,
    "N3": 0.03,
    "N4": 0.07,
    "N5": 0.12,
    "N6": 0.01,
    "N7": 0.01,
    "N8": 0.08,
}
FACTORS = {
    "3B": 0.16,
    "4B": 0.14,
    "3A": 0.08,
    "2B": 0.07,
    "1B": 0.06,
    "16A": 0.07,
    "17A": 0.07,
    "4A": 0.05,
    "18C": 0.03,
    "19C": 0.02,
    "5B": 0.03,
    "6B": 0.02,
    "10A": 0.02,
    "11A": 0.02,
    "24A": 0.02,
    "14A": 0.02,
    "15A": 0.02,
    "20": 0.04,
}
CLOSE_AFTER_ASSESSMENT = {"RC8": 0.55, "RC9": 0.35, "RC7": 0.10}
CLOSE_AFTER_SUPPORT = {"RC7": 0.86, "RC5": 0.06, "RC3": 0.04, "RC4": 0.02, "RC6": 0.02}
FIRST_LEGAL_STATUS = {"V2": 0.50, "C1": 0.30, "L2": 0.12, "L1": 0.05, "J2": 0.03}
LEGAL_NEXT = {"L1": "V2", "L2": "C1", "V2": "C1", "C1": "C2"}  # how a legal status moves on
SHORT_ORDERS = frozenset({"L1", "L2"})  # police protection (72 hours), emergency protection order (8 days)
LEAVING_CARE = {"E4A": 0.38, "E13": 0.06, "E41": 0.10, "E45": 0.10, "E46": 0.08, "E8": 0.18, "E3": 0.10}
CLOSURE_AFTER_CARE = {"E11": "RC1", "E12": "RC1", "E41": "RC3", "E45": "RC4", "E46": "RC4"}  # else RC7
PLACE_CHANGE_REASONS = {
    "CARPL": 0.45,
    "CREQB": 0.12,
    "CREQO": 0.09,
    "CLOSE": 0.05,
    "ALLEG": 0.03,
    "STAND": 0.03,
    "APPRR": 0.02,
    "CHILD": 0.05,
    "LAREQ": 0.05,
    "PLACE": 0.03,
    "OTHER": 0.08,
}
P_PLACED_NEAR_HOME = 0.70  # placements inside the authority's own postcode areas
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters UK inward codes use

# The impossible dates a spoiled record may carry (month and day, with the record's own year).
IMPOSSIBLE_DAYS = ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31))


# --- The manifest --------------------------------------------------------------------------------


@dataclass
class AuthorityReturns:
    code: str
    name: str
    files: list[str] = field(default_factory=list)  # relative to the output folder
    children: int = 0
    looked_after: int = 0
    referrals: int = 0
    bad_records: int = 0


@dataclass
class Manifest:
    seed: int
    years: list[int]
    as_of: str  # ISO date
    children_per_authority: int
    bad_rate: float
    authorities: list[AuthorityReturns] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @property
    def file_count(self) -> int:
        return sum(len(a.files) for a in self.authorities)


def default_authorities(count: int) -> list[tuple[str, str]]:
    """Codes 801, 802, ... named "Synthetic Authority 801", ..."""
    if FIRST_DEFAULT_CODE + count - 1 > 999:
        raise ValueError(f"at most {1000 - FIRST_DEFAULT_CODE} authorities have default codes; give --codes")
    codes = [str(FIRST_DEFAULT_CODE + n) for n in range(count)]
    return [(code, f"Synthetic Authority {code}") for code in codes]


def census_reference(year: int) -> date:
    """The reference date of a census year: the 31 March it ends on."""
    return date(year, 3, 31)


def census_years(as_of: date, count: int = CENSUS_YEARS) -> range:
    """The ``count`` census years ending on or before ``as_of``: 2020-2026 for 25 November 2026,
    2019-2025 for 30 March 2026 (the year 2026 ends the next day)."""
    last = as_of.year if as_of >= census_reference(as_of.year) else as_of.year - 1
    return range(last - count + 1, last + 1)


def parse_years(text: str) -> range:
    """ "2019-2025" is the census years 2019 to 2025 inclusive; "2024" is that year alone."""
    first, _, last = text.strip().partition("-")
    start, stop = int(first), int(last or first)
    if stop < start:
        raise ValueError(f"{text!r}: the last year is before the first")
    return range(start, stop + 1)


# --- The simulated history -------------------------------------------------------------------------


@dataclass(slots=True)
class Assessment:
    start: date
    authorised: date
    review: date | None
    factors: tuple[str, ...]


@dataclass(slots=True)
class Section47:
    start: date
    target: date
    icpc: date | None


@dataclass(slots=True)
class CPPlan:
    start: date
    end: date
    initial_category: str
    latest_category: str
    previous: int
    reviews: list[date]


@dataclass(slots=True)
class CINPlan:
    start: date
    end: date


@dataclass(slots=True)
class Episode:
    referral: date
    source: str
    need: str
    nfa: bool
    closure: date = date.max
    reason: str = ""
    icpc: date | None = None
    assessments: list[Assessment] = field(default_factory=list)
    cin_plans: list[CINPlan] = field(default_factory=list)
    section47s: list[Section47] = field(default_factory=list)
    cp_plans: list[CPPlan] = field(default_factory=list)


@dataclass(slots=True)
class CareEpisode:
    start: date
    rne: str
    legal_status: str
    need: str
    placement: str
    provider: str
    placement_postcode: str
    urn: str
    end: date = date.max
    reason_end: str = ""
    reason_place_change: str = ""


@dataclass(slots=True)
class SyntheticChild:
    la_child_id: str
    sex: str
    ethnicity: str
    disabilities: tuple[str, ...]
    home_postcode: str
    birth: date = date.min
    episodes: list[Episode] = field(default_factory=list)
    care: list[CareEpisode] = field(default_factory=list)


class _Weighted:
    """A fixed table of codes and weights to draw from."""

    def __init__(self, weights: dict[str, float]):
        self.codes = list(weights)
        self.cumulative: list[float] = []
        total = 0.0
        for weight in weights.values():
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: Random) -> str:
        index = bisect_right(self.cumulative, rng.random() * self.total)
        return self.codes[min(index, len(self.codes) - 1)]


_SEX = _Weighted(SEXES)
_ETHNICITY = _Weighted(ETHNICITIES)
_SOURCE = _Weighted(REFERRAL_SOURCES)
_NEED = _Weighted(PRIMARY_NEEDS)
_NEED_903 = _Weighted(CATEGORY_OF_NEED_903)
_FACTOR = _Weighted(FACTORS)
_CATEGORY = _Weighted(CATEGORIES)
_CLOSE_AFTER_ASSESSMENT = _Weighted(CLOSE_AFTER_ASSESSMENT)
_CLOSE_AFTER_SUPPORT = _Weighted(CLOSE_AFTER_SUPPORT)
_FIRST_LEGAL = _Weighted(FIRST_LEGAL_STATUS)
_LEAVING = _Weighted(LEAVING_CARE)
_PLACEMENT = _Weighted(PLACEMENTS)
_PLACE_CHANGE = _Weighted(PLACE_CHANGE_REASONS)
_AGE = _Weighted({str(age): float(weight) for age, weight in enumerate(AGE_WEIGHTS)})


def add_years(day: date, years: int) -> date:
    """The same day and month ``years`` later; 29 February becomes 28 February (measures.md)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class WorkingDays:
    """England's working days (Monday to Friday less bank holidays) between two dates, precomputed."""

    def __init__(self, first: date, last: date):
        bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
        self.days: list[int] = []
        day = first
        while day <= last:
            if day.weekday() < 5 and day not in bank_holidays:
                self.days.append(day.toordinal())
            day += timedelta(days=1)

    def add(self, start: date, count: int) -> date:
        """The day ``count`` working days after ``start``: ``working_days(start, result) == count``."""
        index = bisect_right(self.days, start.toordinal()) + count - 1
        if index >= len(self.days):  # beyond the precomputed span: about 7 calendar days a week of 5
            return start + timedelta(days=count * 7 // 5)
        return date.fromordinal(self.days[index])


@dataclass
class _Authority:
    """What the simulation of one authority's children shares."""

    code: str
    rng: Random
    calendar: WorkingDays
    window_start: date
    window_end: date
    areas: list[str]
    fostering_urn: str

    def postcode(self, near: bool = True) -> str:
        rng = self.rng
        area = rng.choice(self.areas) if near else rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        district = rng.randint(1, 29)
        inward = f"{rng.randint(0, 9)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
        return f"{area}{district} {inward}"

    def urn(self) -> str:
        return f"SC{self.rng.randint(100000, 999999)}"


def _days(rng: Random, bands: Sequence[tuple[float, int, int]]) -> int:
    point = rng.random() * sum(weight for weight, _, _ in bands)
    for weight, low, high in bands:
        if point < weight:
            return rng.randint(low, high)
        point -= weight
    return rng.randint(bands[-1][1], bands[-1][2])


def _simulate_child(la: _Authority, la_child_id: str) -> SyntheticChild:
    """One child's whole history, starting somewhere in the window (or just before it)."""
    rng = la.rng
    sex = _SEX.pick(rng)
    disabilities: tuple[str, ...] = ()
    draw = rng.random()
    if draw < P_DISABLED:
        disabilities = tuple(sorted(rng.sample(DISABILITIES, rng.choice((1, 1, 1, 2)))))
    elif draw < P_DISABLED + P_DISABILITY_NONE:
        disabilities = ("NONE",)
    child = SyntheticChild(
        la_child_id=la_child_id,
        sex=sex,
        ethnicity=_ETHNICITY.pick(rng),
        disabilities=disabilities,
        home_postcode=la.postcode(),
    )
    span = (la.window_end - la.window_start).days + LEAD_IN_DAYS
    # A child whose activity ends before the first census year would appear in no file: draw again.
    while True:
        referral = la.window_start - timedelta(days=LEAD_IN_DAYS - rng.randrange(span))
        previous_plans = rng.choice((1, 1, 2)) if rng.random() < P_PRIOR_CPP else 0
        episodes: list[Episode] = []
        care: list[CareEpisode] = []
        while referral <= la.window_end:
            episode = _simulate_episode(la, child, referral, previous_plans, care)
            previous_plans += len(episode.cp_plans)
            episodes.append(episode)
            if rng.random() >= P_ANOTHER_REFERRAL:
                break
            within_year = add_years(referral, 1)
            if rng.random() < P_NEXT_WITHIN_12M and episode.closure < within_year:
                gap = (within_year - episode.closure).days
                referral = episode.closure + timedelta(days=rng.randint(1, gap))
            else:
                referral = max(episode.closure, within_year) + timedelta(days=rng.randint(1, 1100))
        if episodes[-1].closure >= la.window_start:
            break
    child.episodes = episodes
    child.care = care
    if care and sex in ("0", "9"):
        child.sex = rng.choice("12")  # the SSDA903 return knows only 1 and 2
    _choose_birth(la, child)
    return child


def _choose_birth(la: _Authority, child: SyntheticChild) -> None:
    """A birth date giving the drawn age at the first referral, moved later when needed so that the
    child is at most 17 on the reference date of every census that holds them."""
    rng = la.rng
    first_referral = child.episodes[0].referral
    last_seen = min(child.episodes[-1].closure, la.window_end)
    last_reference = date(last_seen.year + (1 if last_seen.month > 3 else 0), 3, 31)
    earliest = add_years(last_reference, -18) + timedelta(days=1)
    age = int(_AGE.pick(rng))
    birth = add_years(first_referral, -age) - timedelta(days=rng.randrange(365))
    child.birth = min(max(birth, earliest), first_referral)


def _simulate_episode(
    la: _Authority, child: SyntheticChild, referral: date, previous_plans: int, care: list[CareEpisode]
) -> Episode:
    """One CIN episode from its referral to its closure, with the looked-after episodes it leads to
    appended to ``care``."""
    rng, calendar = la.rng, la.calendar
    episode = Episode(referral=referral, source=_SOURCE.pick(rng), need=_NEED.pick(rng), nfa=False)
    if rng.random() < P_NFA:
        episode.nfa = True
        episode.closure, episode.reason = referral, "RC8"
        return episode
    has_s47 = rng.random() < P_S47
    if not has_s47 and rng.random() >= P_ASSESSMENT:
        episode.closure = referral + timedelta(days=rng.randint(3, 40))
        episode.reason = "RC7"
        return episode

    start = referral + timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3, 5)))
    if rng.random() < P_ASSESSMENT_OVER_45WD:
        length = rng.randint(46, 100)
    else:
        length = min(45, max(3, int(rng.triangular(3, 46, 28))))
    authorised = calendar.add(start, length)
    review = calendar.add(start, length // 2) if rng.random() < 0.25 else None
    factors = tuple(sorted({_FACTOR.pick(rng) for _ in range(rng.randint(1, 4))}))
    episode.assessments.append(Assessment(start, authorised, review, factors))
    support_from = authorised  # when the work after the assessment begins

    if has_s47:
        s47_start = referral + timedelta(days=rng.randint(0, 7))
        icpc = None
        if rng.random() < P_ICPC:
            within = rng.random() < P_ICPC_WITHIN_15WD
            icpc = calendar.add(s47_start, rng.randint(4, 15) if within else rng.randint(16, 35))
            episode.icpc = icpc
        episode.section47s.append(Section47(s47_start, calendar.add(s47_start, 15), icpc))
        if icpc is not None and rng.random() < P_CPP_AFTER_ICPC:
            return _plan_and_after(la, child, episode, icpc, previous_plans, care)

    if rng.random() < P_CARE_AT_ASSESSMENT:
        care_start = start + timedelta(days=rng.randint(1, 20))
        return _into_care(la, child, episode, care_start, care)
    if rng.random() < P_CIN_PLAN:
        plan_start = support_from + timedelta(days=rng.randint(0, 10))
        plan_end = plan_start + timedelta(days=rng.randint(60, 450))
        if rng.random() < P_CARE_FROM_CIN_PLAN:
            plan_end = plan_start + timedelta(days=rng.randint(20, (plan_end - plan_start).days))
            episode.cin_plans.append(CINPlan(plan_start, plan_end))
            return _into_care(la, child, episode, plan_end, care)
        episode.cin_plans.append(CINPlan(plan_start, plan_end))
        episode.closure = plan_end + timedelta(days=rng.randint(0, 20))
        episode.reason = _CLOSE_AFTER_SUPPORT.pick(rng)
        return episode
    episode.closure = authorised + timedelta(days=rng.randint(0, 7))
    episode.reason = _CLOSE_AFTER_ASSESSMENT.pick(rng)
    return episode


def _plan_and_after(
    la: _Authority,
    child: SyntheticChild,
    episode: Episode,
    start: date,
    previous_plans: int,
    care: list[CareEpisode],
) -> Episode:
    rng = la.rng
    if rng.random() < P_CPP_EXACTLY_2Y:
        end = add_years(start, 2) + timedelta(days=rng.choice((-1, 0, 0, 1)))
    else:
        end = start + timedelta(days=_days(rng, CPP_LENGTH_BANDS))
    initial = _CATEGORY.pick(rng)
    latest = _CATEGORY.pick(rng) if rng.random() < P_CATEGORY_CHANGES else initial
    reviews = []
    review = start + timedelta(days=rng.randint(75, 90))  # the first review within three months
    while review < end:
        reviews.append(review)
        review += timedelta(days=rng.randint(160, 182))  # then at most every six months
    episode.cp_plans.append(
        CPPlan(start, end, initial, latest, previous_plans + len(episode.cp_plans), reviews)
    )
    if rng.random() < P_CARE_FROM_CPP:
        return _into_care(la, child, episode, end, care)
    if rng.random() < P_STEP_DOWN:
        plan_end = end + timedelta(days=rng.randint(60, 270))
        episode.cin_plans.append(CINPlan(end, plan_end))
        end = plan_end
    episode.closure = end + timedelta(days=rng.randint(0, 14))
    episode.reason = _CLOSE_AFTER_SUPPORT.pick(rng)
    return episode


def _placement(
    la: _Authority, child: SyntheticChild, legal_status: str, adoption: bool
) -> tuple[str, str, str, str]:
    """(PLACE, PLACE_PROVIDER, PL_POST, URN) of a new placement."""
    rng = la.rng
    if adoption and legal_status == "E1":
        place = rng.choice(("A5", "A5", "A6"))  # placed for adoption under a placement order
        provider = "PR1" if rng.random() < 0.6 else "PR5"
        return place, provider, la.postcode(near=rng.random() < 0.5), la.urn()
    place = _PLACEMENT.pick(rng)
    if place == "P1" and legal_status not in ("C1", "C2"):
        place = "U6"  # placement with parents needs a care order
    if place == "P1":
        return place, "PR0", child.home_postcode, "XXXXXXX"
    if place in KINSHIP:
        return place, "PR1", la.postcode(near=rng.random() < 0.8), la.fostering_urn
    if place == "K2":
        provider = "PR4" if rng.random() < 0.75 else "PR1"
        return place, provider, la.postcode(near=rng.random() < 0.4), la.urn()
    if rng.random() < 0.55:
        return place, "PR1", la.postcode(near=rng.random() < P_PLACED_NEAR_HOME), la.fostering_urn
    return place, "PR4", la.postcode(near=rng.random() < 0.5), la.urn()


def _into_care(
    la: _Authority, child: SyntheticChild, episode: Episode, start: date, care: list[CareEpisode]
) -> Episode:
    """A period of care from ``start``; the CIN episode stays open until it ends."""
    rng = la.rng
    end = start + timedelta(days=_days(rng, CARE_LENGTH_BANDS))
    adoption = rng.random() < P_ADOPTION_PATH and (end - start).days > 540
    legal_status = "C1" if adoption else _FIRST_LEGAL.pick(rng)
    need = _NEED_903.pick(rng)
    place, provider, postcode, urn = _placement(la, child, legal_status, adoption)
    current = CareEpisode(start, "S", legal_status, need, place, provider, postcode, urn)
    care.append(current)
    day = start
    while True:
        # Police protection and emergency protection orders last days; everything else months.
        short = legal_status in SHORT_ORDERS
        day = day + timedelta(days=rng.randint(1, 8) if short else rng.randint(45, 420))
        if day >= end:
            break
        next_status = "E1" if adoption and legal_status == "C2" else LEGAL_NEXT.get(legal_status)
        if next_status and (rng.random() < P_LEGAL_CHANGE or adoption or short):
            legal_status = next_status
            if adoption and legal_status == "E1":
                rne = "U"
                place, provider, postcode, urn = _placement(la, child, legal_status, adoption)
            elif rng.random() < P_LEGAL_CHANGE_WITH_PLACEMENT:
                if place in SAME_CARERS and rng.random() < P_SAME_CARERS:
                    rne, place = "B", SAME_CARERS[place]
                else:
                    rne = "U"
                    place, provider, postcode, urn = _placement(la, child, legal_status, adoption)
            else:
                rne = "L"
        elif place in SAME_CARERS and rng.random() < P_SAME_CARERS:
            rne, place = "T", SAME_CARERS[place]
        else:
            rne = "P"
            place, provider, postcode, urn = _placement(la, child, legal_status, adoption)
        current.end, current.reason_end = day, "X1"
        if rne != "L":
            current.reason_place_change = _PLACE_CHANGE.pick(rng)
        current = CareEpisode(day, rne, legal_status, need, place, provider, postcode, urn)
        care.append(current)
        if place in ("A5", "A6"):  # the adoption order follows some months after the placement
            end = day + timedelta(days=rng.randint(120, 400))
            break
    if current.placement in ("A5", "A6"):
        leaving = rng.choice(("E11", "E11", "E12"))
    else:
        leaving = _LEAVING.pick(rng)
    current.end, current.reason_end = end, leaving
    episode.closure = end + timedelta(days=rng.randint(0, 5))
    episode.reason = CLOSURE_AFTER_CARE.get(leaving, "RC7")
    return episode


# --- Writing ---------------------------------------------------------------------------------------

Value = date | str | None


def _iso(value: Value) -> str:
    return value.isoformat() if isinstance(value, date) else (value or "")


def _dmy(value: Value) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else (value or "")


class _Spoiler:
    """Decides which records are written bad, and how; its own generator, so that the good data
    is the same whatever the rate."""

    def __init__(self, rng: Random, rate: float, iso: bool):
        self.rng, self.rate, self.iso = rng, rate, iso
        self.count = 0

    def __call__(
        self,
        fields: list[list[Any]],
        start: int | None = None,
        end: int | None = None,
        ident: int | None = None,
    ) -> None:
        """Maybe spoil ``fields`` ([name, value] pairs) in place; ``start``/``end``/``ident`` index the
        fields that may be made out of order or blank."""
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return
        ways = ["date"]
        if start is not None and end is not None and isinstance(fields[end][1], date):
            ways.append("order")
        if ident is not None:
            ways.append("ident")
        way = self.rng.choice(ways)
        dated = [pair for pair in fields if isinstance(pair[1], date)]
        if way == "date" and not dated:
            if ident is None:
                return
            way = "ident"
        self.count += 1
        if way == "ident" and ident is not None:
            fields[ident][1] = ""
        elif way == "order" and start is not None and end is not None:
            fields[end][1] = fields[start][1] - timedelta(days=self.rng.randint(1, 60))
        else:
            pair = self.rng.choice(dated)
            month, day = self.rng.choice(IMPOSSIBLE_DAYS)
            year = pair[1].year
            pair[1] = f"{year}-{month:02d}-{day:02d}" if self.iso else f"{day:02d}/{month:02d}/{year}"


def _known(day: date | None, reference: date) -> date | None:
    """A date as the return on ``reference`` knows it: a later one has not happened yet."""
    return day if day is not None and day <= reference else None


def _overlaps(start: date, end: date | None, year_start: date, reference: date) -> bool:
    return start <= reference and (end is None or end >= year_start)


def _over(enquiry: Section47, reference: date) -> date | None:
    """When a section 47 enquiry is over as known on ``reference``: once its conference is held, or
    its target passes without one."""
    if enquiry.icpc is not None:
        return _known(enquiry.icpc, reference)
    return _known(enquiry.target, reference)


def _made(year: int, as_of: date) -> datetime:
    """When the census file of ``year`` was made: on 15 May (the return is due in the summer), or on
    the as-of date when that is sooner, so that no stamp is later than the as-of date. Derived from
    dates, never from the clock: the files must not change between runs."""
    day = min(date(year, 5, 15), as_of)
    return datetime(day.year, day.month, day.day, 9, 0)  # noqa: DTZ001 - a fixed, zone-less document time


class _CinWriter:
    """One census year's file of one authority, written a child at a time."""

    def __init__(self, path: Path, code: str, year: int, spoil: _Spoiler, as_of: date):
        self.year_start = date(year - 1, 4, 1)
        self.reference = census_reference(year)
        self.spoil = spoil
        self.children = 0
        self.file: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self.file.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            "<Message>\n"
            "  <Header>\n"
            "    <CollectionDetails>\n"
            "      <Collection>CIN</Collection>\n"
            f"      <Year>{year}</Year>\n"
            f"      <ReferenceDate>{self.reference.isoformat()}</ReferenceDate>\n"
            "    </CollectionDetails>\n"
            "    <Source>\n"
            "      <SourceLevel>L</SourceLevel>\n"
            f"      <LEA>{code}</LEA>\n"
            f"      <SoftwareCode>{SOFTWARE_CODE}</SoftwareCode>\n"
            f"      <Release>{RELEASE}</Release>\n"
            "      <SerialNo>001</SerialNo>\n"
            f"      <DateTime>{_made(year, as_of).isoformat()}</DateTime>\n"
            "    </Source>\n"
            "  </Header>\n"
            "  <Children>\n"
        )

    def close(self) -> None:
        self.file.write("  </Children>\n</Message>\n")
        self.file.close()

    def write(self, child: SyntheticChild) -> bool:
        """Write the child when an episode is open at some point of the year; say whether it was."""
        reference, year_start = self.reference, self.year_start
        episodes = [
            e
            for e in child.episodes
            if _overlaps(e.referral, _known(e.closure, reference), year_start, reference)
        ]
        if not episodes:
            return False
        self.children += 1
        out: list[str] = ["    <Child>\n", "      <ChildIdentifiers>\n"]
        identifiers: list[list[Any]] = [["LAchildID", child.la_child_id]]
        if add_years(child.birth, 6) > reference:
            identifiers.append(["UPNunknown", "UN1"])  # under six and not yet at school
        identifiers += [["PersonBirthDate", child.birth], ["GenderCurrent", child.sex]]
        self.spoil(identifiers, ident=0)
        _elements(out, "        ", identifiers)
        out.append("      </ChildIdentifiers>\n      <ChildCharacteristics>\n")
        out.append(f"        <Ethnicity>{child.ethnicity}</Ethnicity>\n")
        if child.disabilities:
            out.append("        <Disabilities>\n")
            out.extend(f"          <Disability>{code}</Disability>\n" for code in child.disabilities)
            out.append("        </Disabilities>\n")
        out.append("      </ChildCharacteristics>\n")
        for episode in episodes:
            self._episode(out, episode)
        out.append("    </Child>\n")
        self.file.write("".join(out))
        return True

    def _episode(self, out: list[str], episode: Episode) -> None:
        reference, year_start, spoil = self.reference, self.year_start, self.spoil
        closure = _known(episode.closure, reference)
        details: list[list[Any]] = [
            ["CINreferralDate", episode.referral],
            ["ReferralSource", episode.source],
            ["PrimaryNeedCode", episode.need],
            ["CINclosureDate", closure],
            ["ReasonForClosure", episode.reason if closure else None],
            ["DateOfInitialCPC", _known(episode.icpc, reference)],
        ]
        spoil(details, start=0, end=3)
        out.append("      <CINdetails>\n")
        _elements(out, "        ", details)
        for a in episode.assessments:
            authorised = _known(a.authorised, reference)
            if not _overlaps(a.start, authorised, year_start, reference):
                continue
            fields: list[list[Any]] = [
                ["AssessmentActualStartDate", a.start],
                ["AssessmentInternalReviewDate", _known(a.review, reference)],
                ["AssessmentAuthorisationDate", authorised],
            ]
            spoil(fields, start=0, end=2)
            out.append("        <Assessments>\n")
            _elements(out, "          ", fields)
            if authorised is not None:  # factors are recorded when the assessment is authorised
                out.append("          <FactorsIdentifiedAtAssessment>\n")
                out.extend(f"            <AssessmentFactors>{f}</AssessmentFactors>\n" for f in a.factors)
                out.append("          </FactorsIdentifiedAtAssessment>\n")
            out.append("        </Assessments>\n")
        for p in episode.cin_plans:
            end = _known(p.end, reference)
            if _overlaps(p.start, end, year_start, reference):
                fields = [["CINPlanStartDate", p.start], ["CINPlanEndDate", end]]
                spoil(fields, start=0, end=1)
                _block(out, "        ", "CINPlanDates", fields)
        for s in episode.section47s:
            icpc = _known(s.icpc, reference)
            if _overlaps(s.start, _over(s, reference), year_start, reference):
                fields = [
                    ["S47ActualStartDate", s.start],
                    ["InitialCPCtarget", s.target],
                    ["DateOfInitialCPC", icpc],
                    ["ICPCnotRequired", "false" if s.icpc is not None else "true"],
                ]
                spoil(fields, start=0, end=2)
                _block(out, "        ", "Section47", fields)
        out.append(f"        <ReferralNFA>{'true' if episode.nfa else 'false'}</ReferralNFA>\n")
        for c in episode.cp_plans:
            end = _known(c.end, reference)
            if not _overlaps(c.start, end, year_start, reference):
                continue
            fields = [
                ["CPPstartDate", c.start],
                ["CPPendDate", end],
                ["InitialCategoryOfAbuse", c.initial_category],
                ["LatestCategoryOfAbuse", c.latest_category],
                ["NumberOfPreviousCPP", str(c.previous)],
            ]
            spoil(fields, start=0, end=1)
            out.append("        <ChildProtectionPlans>\n")
            _elements(out, "          ", fields)
            reviews = [r for r in c.reviews if r <= reference]
            if reviews:
                out.append("          <Reviews>\n")
                out.extend(f"            <CPPreviewDate>{r.isoformat()}</CPPreviewDate>\n" for r in reviews)
                out.append("          </Reviews>\n")
            out.append("        </ChildProtectionPlans>\n")
        out.append("      </CINdetails>\n")


def _elements(out: list[str], indent: str, fields: list[list[Any]]) -> None:
    for name, value in fields:
        if value is not None:
            out.append(f"{indent}<{name}>{_iso(value)}</{name}>\n")


def _block(out: list[str], indent: str, tag: str, fields: list[list[Any]]) -> None:
    out.append(f"{indent}<{tag}>\n")
    _elements(out, indent + "  ", fields)
    out.append(f"{indent}</{tag}>\n")


def _write_903(header: Any, episodes: Any, child: SyntheticChild, reference: date, spoil: _Spoiler) -> int:
    """The child's SSDA903 rows as known on ``reference``; the number of episodes written."""
    rows = [c for c in child.care if c.start <= reference]
    if not rows:
        return 0
    fields: list[list[Any]] = [
        ["CHILD", child.la_child_id],
        ["SEX", child.sex],
        ["DOB", child.birth],
        ["ETHNIC", child.ethnicity],
        ["UPN", ""],
        ["MOTHER", ""],
        ["MC_DOB", ""],
    ]
    spoil(fields, ident=0)
    header.writerow([_dmy(value) for _, value in fields])
    for c in rows:
        ended = c.end <= reference
        fields = [
            ["CHILD", child.la_child_id],
            ["DECOM", c.start],
            ["RNE", c.rne],
            ["LS", c.legal_status],
            ["CIN", c.need],
            ["PLACE", c.placement],
            ["PLACE_PROVIDER", c.provider],
            ["DEC", c.end if ended else None],
            ["REC", c.reason_end if ended else ""],
            ["REASON_PLACE_CHANGE", c.reason_place_change if ended else ""],
            ["HOME_POST", child.home_postcode],
            ["PL_POST", c.placement_postcode],
            ["URN", c.urn],
        ]
        spoil(fields, start=1, end=7, ident=0)
        episodes.writerow([_dmy(value) for _, value in fields])
    return len(rows)


# --- The Annex A workbook ----------------------------------------------------------------------------


def _has(name: str, word: str) -> bool:
    return word.casefold() in name.casefold()


@dataclass
class TeamRules:
    """Which teams take which children: looked-after children go to the teams whose name contains
    "Care", children on a child protection plan to those containing "Child Protection", everyone
    else to the remaining teams (a front door, an assessment team). A group with no team falls back
    to all of them. Within a group children are dealt out in turn, so the split is even."""

    care: list[str]
    protection: list[str]
    other: list[str]
    dealt: dict[str, int] = field(default_factory=lambda: {"care": 0, "protection": 0, "other": 0})

    @classmethod
    def from_names(cls, names: Sequence[str]) -> "TeamRules":
        care = [name for name in names if _has(name, "care")]
        protection = [name for name in names if _has(name, "child protection") and name not in care]
        other = [name for name in names if name not in care and name not in protection]
        every = list(names)
        return cls(care=care or every, protection=protection or every, other=other or every)

    def choose(self, *, looked_after: bool, protected: bool) -> str:
        group = "care" if looked_after else "protection" if protected else "other"
        teams: list[str] = getattr(self, group)
        turn = self.dealt[group]
        self.dealt[group] = turn + 1
        return teams[turn % len(teams)]


def _periods_of_care(care: list[CareEpisode]) -> list[tuple[CareEpisode, date]]:
    """(first episode, end of the period) of each period of care: a period begins at an RNE "S"."""
    periods: list[tuple[CareEpisode, date]] = []
    for episode in care:
        if episode.rne == "S" or not periods:
            periods.append((episode, episode.end))
        else:
            periods[-1] = (periods[-1][0], episode.end)
    return periods


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class _StableZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed time: openpyxl would stamp them with the clock."""

    def __init__(self, path: Path, stamp: datetime):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.stamp = stamp

    def _entry(self, name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=self.stamp.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16  # as ZipFile.writestr gives a named entry
        return entry

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: Any,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: str | PathLike[str],
        arcname: str | PathLike[str] | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        # openpyxl writes each worksheet from a temporary file: copied in chunks, memory stays flat.
        with (
            Path(filename).open("rb") as source,
            self.open(self._entry(str(arcname or filename)), "w") as target,
        ):
            shutil.copyfileobj(source, target)


class _AnnexAWriter:
    """One authority's Annex A workbook from ``start`` (the first day of the last census year) to the
    as-of date, written a child at a time: List 3 every referral in that time, Lists 4, 5 and 6 every
    assessment, section 47 enquiry and CIN plan of a CIN episode open at some point of it, List 7
    every child protection plan and List 8 every period of care open at some point of it, all as the
    census and the SSDA903 files would know them on the as-of date."""

    def __init__(self, path: Path, start: date, as_of: date, teams: Sequence[str], spoil: _Spoiler):
        self.path = path
        self.year_start = start
        self.reference = as_of
        self.rules = TeamRules.from_names(teams)
        self.spoil = spoil
        self.children = 0
        # Write-only: rows go straight to temporary files, so memory stays flat.
        self.book = Workbook(write_only=True)
        self.sheets: list[Any] = []
        for title, columns in ANNEX_A_SHEETS:
            sheet = self.book.create_sheet(title)
            sheet.append([*ANNEX_A_COMMON, *columns])
            self.sheets.append(sheet)

    def write(self, child: SyntheticChild) -> bool:
        """Write the child's rows, if it has any from the start to the as-of date; say whether it had."""
        reference, year_start = self.reference, self.year_start
        referrals = [e for e in child.episodes if year_start <= e.referral <= reference]
        # Lists 4 to 6 take what the census file would: the records of an episode open in the time.
        open_episodes = [
            e
            for e in child.episodes
            if _overlaps(e.referral, _known(e.closure, reference), year_start, reference)
        ]
        assessments = [
            a
            for e in open_episodes
            for a in e.assessments
            if _overlaps(a.start, _known(a.authorised, reference), year_start, reference)
        ]
        enquiries = [
            s
            for e in open_episodes
            for s in e.section47s
            if _overlaps(s.start, _over(s, reference), year_start, reference)
        ]
        cin_plans = [
            p
            for e in open_episodes
            for p in e.cin_plans
            if _overlaps(p.start, _known(p.end, reference), year_start, reference)
        ]
        plans = [
            c
            for e in child.episodes
            for c in e.cp_plans
            if _overlaps(c.start, _known(c.end, reference), year_start, reference)
        ]
        periods = [
            first
            for first, end in _periods_of_care(child.care)
            if _overlaps(first.start, _known(end, reference), year_start, reference)
        ]
        if not (referrals or assessments or enquiries or cin_plans or plans or periods):
            return False
        self.children += 1
        team = self.rules.choose(looked_after=bool(periods), protected=bool(plans))
        leading: list[Any] = [
            child.la_child_id,
            ANNEX_A_SEX[child.sex],
            child.ethnicity,
            child.birth,
            _age(child.birth, reference),
            team,
        ]
        referral_sheet, assessment_sheet, enquiry_sheet, cin_sheet, plan_sheet, care_sheet = self.sheets
        for e in referrals:
            self._row(referral_sheet, leading, [e.referral, e.source, "Yes" if e.nfa else "No"])
        for a in assessments:
            authorised = _known(a.authorised, reference)
            self._row(assessment_sheet, leading, [a.start, authorised], end=1 if authorised else None)
        for s in enquiries:
            icpc = _known(s.icpc, reference)
            # As the census has it: "unnecessary" when no conference follows the enquiry.
            unnecessary = "No" if s.icpc is not None else "Yes"
            self._row(enquiry_sheet, leading, [s.start, unnecessary, icpc], end=2 if icpc else None)
        for p in cin_plans:
            end = _known(p.end, reference)
            self._row(cin_sheet, leading, [p.start, end], end=1 if end else None)
        for c in plans:
            end = _known(c.end, reference)
            values = [
                c.start,
                ANNEX_A_ABUSE[c.initial_category],
                ANNEX_A_ABUSE[c.latest_category],
                end,
                c.previous,
            ]
            self._row(plan_sheet, leading, values, end=3 if end else None)
        for first in periods:
            values = [
                first.start,
                first.need,
                first.legal_status,
                first.placement,
                first.provider,
                first.placement_postcode,
                first.urn,
            ]
            self._row(care_sheet, leading, values)
        return True

    def _row(self, sheet: Any, leading: list[Any], values: list[Any], end: int | None = None) -> None:
        """Append a row (maybe spoiled); ``end`` indexes, in ``values``, an end that may be made to
        precede the start (always ``values[0]``)."""
        fields: list[list[Any]] = [["", value] for value in (*leading, *values)]
        where = len(leading)
        self.spoil(fields, start=where, end=None if end is None else where + end, ident=0)
        sheet.append([value if value != "" else None for _, value in fields])

    def close(self) -> None:
        # Made on the as-of date, not at the clock's time: the file must not change between runs.
        day = self.reference
        stamp = datetime(day.year, day.month, day.day, 9, 0)  # noqa: DTZ001 - a fixed, zone-less time
        properties = self.book.properties
        properties.created = properties.modified = stamp
        properties.creator = properties.lastModifiedBy = SOFTWARE_CODE
        # ExcelWriter rather than Workbook.save, which sets the modified time to now.
        with _StableZip(self.path, stamp) as archive:
            ExcelWriter(self.book, archive).save()


def _remove_stale(folder: Path, years: range, *, annex_a: bool) -> None:
    """Remove the files an earlier run left that this one does not write (a census year the as-of
    date has moved past, a workbook of a run with teams), so that the folder holds one run's returns
    and importing ``cin_census_*.xml`` from it never mixes two runs' histories. Only the names the
    generator itself writes are touched."""
    wanted = {f"cin_census_{year}.xml" for year in years}
    stale = [path for path in folder.glob("cin_census_*.xml") if path.name not in wanted]
    if not annex_a:
        stale.append(folder / ANNEX_A_FILE)
    for path in stale:
        path.unlink(missing_ok=True)


def _generate_authority(
    out: Path,
    code: str,
    name: str,
    *,
    children: int,
    seed: int,
    years: range,
    as_of: date,
    bad_rate: float,
    calendar: WorkingDays,
    teams: Sequence[str] | None = None,
) -> AuthorityReturns:
    folder = out / code
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder, years, annex_a=bool(teams))
    # String seeds are hashed with SHA-512 by random.seed, the same on every run and platform.
    rng = Random(f"synthetic:{seed}:{code}")
    areas = sorted({rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS) for _ in range(3)})
    la = _Authority(
        code=code,
        rng=rng,
        calendar=calendar,
        window_start=date(years[0] - 1, 4, 1),
        window_end=as_of,  # the histories run on to the as-of date
        areas=areas,
        fostering_urn=f"SC{rng.randint(100000, 999999)}",
    )
    cin_spoil = _Spoiler(Random(f"synthetic-bad:{seed}:{code}:cin"), bad_rate, iso=True)
    spoil_903 = _Spoiler(Random(f"synthetic-bad:{seed}:{code}:903"), bad_rate, iso=False)
    result = AuthorityReturns(code=code, name=name)
    writers = [_CinWriter(folder / f"cin_census_{year}.xml", code, year, cin_spoil, as_of) for year in years]
    # The SSDA903 is a yearly return like the census: as at the last census reference date.
    reference_903 = census_reference(years[-1])
    annex_a = None
    if teams:
        annex_spoil = _Spoiler(Random(f"synthetic-bad:{seed}:{code}:annex_a"), bad_rate, iso=False)
        annex_a = _AnnexAWriter(folder / ANNEX_A_FILE, date(years[-1] - 1, 4, 1), as_of, teams, annex_spoil)
    with (
        (folder / "ssda903_header.csv").open("w", encoding="utf-8", newline="") as header_file,
        (folder / "ssda903_episodes.csv").open("w", encoding="utf-8", newline="") as episodes_file,
    ):
        header = csv.writer(header_file, lineterminator="\n")
        episodes = csv.writer(episodes_file, lineterminator="\n")
        header.writerow(HEADER_903)
        episodes.writerow(EPISODES_903)
        for index in range(1, children + 1):
            child = _simulate_child(la, f"{code}{index:07d}")
            for writer in writers:
                writer.write(child)
            if _write_903(header, episodes, child, reference_903, spoil_903):
                result.looked_after += 1
            if annex_a is not None:
                annex_a.write(child)
            result.children += 1
            result.referrals += sum(1 for e in child.episodes if e.closure >= la.window_start)
    for writer in writers:
        writer.close()
    result.bad_records = cin_spoil.count + spoil_903.count
    result.files = [f"{code}/cin_census_{year}.xml" for year in years]
    result.files += [f"{code}/ssda903_header.csv", f"{code}/ssda903_episodes.csv"]
    if annex_a is not None:
        annex_a.close()
        result.bad_records += annex_a.spoil.count
        result.files.append(f"{code}/{ANNEX_A_FILE}")
    return result


def generate(
    out: Path,
    *,
    authorities: list[tuple[str, str]],
    children_per_authority: int,
    seed: int,
    years: range | None = None,
    as_of: date | None = None,
    bad_rate: float = DEFAULT_BAD_RATE,
    teams: list[str] | None = None,
    workers: int = 1,
) -> Manifest:
    """Write every authority's returns under ``out`` (``<code>/cin_census_<year>.xml``,
    ``<code>/ssda903_header.csv``, ``<code>/ssda903_episodes.csv``) and ``out/manifest.json``, as
    the authority would hold them on ``as_of``.

    ``years`` defaults to the seven census years ending on or before ``as_of`` (``DEFAULT_YEARS``
    when neither is given); ``as_of`` defaults to the last census year's reference date, and may
    not be before it. ``authorities`` are (code, name) pairs; codes are three digits, as a census
    ``LEA``. Given ``teams`` (the names of each authority's teams), also ``<code>/annex_a.xlsx``:
    Lists 3 to 8 from the start of the last census year to ``as_of``, each child allocated to one of
    the teams (see ``TeamRules``). Without teams the other files are the same, byte for byte.

    ``workers`` above 1 writes that many authorities at once, each in its own process (the full
    benchmark estate of 153 authorities); every authority draws from its own seeded generator, so
    the files are the same, byte for byte, whatever the number of workers.
    """
    if years is None:
        years = census_years(as_of) if as_of is not None else DEFAULT_YEARS
    if not years:
        raise ValueError("at least one census year is needed")
    if as_of is None:
        as_of = census_reference(years[-1])
    elif as_of < census_reference(years[-1]):
        raise ValueError(
            f"the census year {years[-1]} ends on {census_reference(years[-1]).isoformat()}, "
            f"after the as-of date {as_of.isoformat()}"
        )
    if not 0 <= bad_rate <= 1:
        raise ValueError("the bad rate is a share between 0 and 1")
    if workers < 1:
        raise ValueError("at least one worker is needed")
    if teams is not None:
        folded = [name.strip().casefold() for name in teams]
        if not all(folded) or len(set(folded)) != len(folded):
            raise ValueError("team names must be distinct and not blank")
        if any(len(name) > TEAM_NAME_MAX for name in teams):
            raise ValueError(f"team names are at most {TEAM_NAME_MAX} characters")
    codes = [code for code, _ in authorities]
    if len(set(codes)) != len(codes) or not all(len(c) == 3 and c.isdigit() for c in codes):
        raise ValueError("authority codes must be distinct three-digit numbers")
    out.mkdir(parents=True, exist_ok=True)
    # Spans every date a history can reach: lead-in before the first year, plans and care after the last.
    calendar = WorkingDays(date(years[0] - 4, 1, 1), date(as_of.year + 1, 12, 31))
    manifest = Manifest(
        seed=seed,
        years=list(years),
        as_of=as_of.isoformat(),
        children_per_authority=children_per_authority,
        bad_rate=bad_rate,
    )
    write = partial(
        _generate_authority,
        out,
        children=children_per_authority,
        seed=seed,
        years=years,
        as_of=as_of,
        bad_rate=bad_rate,
        calendar=calendar,
        teams=teams,
    )
    if workers == 1 or len(authorities) == 1:
        manifest.authorities = [write(code, name) for code, name in authorities]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(authorities))) as pool:
            # map keeps the order of the authorities, so the manifest does not depend on timing.
            codes_and_names = list(zip(*authorities, strict=True))
            manifest.authorities = list(pool.map(write, *codes_and_names))
    manifest.write(out / "manifest.json")
    return manifest
