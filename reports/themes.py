"""Themes in the three columns of the audit conversation, and the few short excerpts a report may
quote. Pure functions over text, no database.

A note counts towards a rubric element when it uses the element's words ("network", "scaling",
"danger statement"...); one note can count towards several elements, or none. The words are
deliberately plain, so that a reader can check them against the definitions page.

The report goes to councillors, so an excerpt is quoted only when nothing in it can name a child,
a family or a worker: no digits, no capitalised word after the first one, a first word from a list
of ordinary openings, nothing like an address or a link. Notes that fail are counted, never quoted.
"""

import re
from collections.abc import Iterable

ELEMENT_WORDS: dict[str, tuple[str, ...]] = {
    "P1": (r"\bharm(s|ed|ful)?\b", r"\bhurt\b", r"\binjur"),
    "P2": (r"\bdanger",),
    "P3": (r"\bcomplicat",),
    "P4": (r"\bexisting safety\b", r"\bstrengths?\b", r"\bprotective\b"),
    "P5": (r"\bsafety goals?\b", r"\bgoals?\b"),
    "P6": (r"\bscal(e|es|ed|ing)\b",),
    "P7": (
        r"\bchild'?s voice\b",
        r"\bvoice of the child\b",
        r"\bthree houses\b",
        r"\bfairy\b",
        r"\bwizard\b",
        r"\bsafety house\b",
        r"\bthe child (said|says|told|tells|wants)\b",
    ),
    "P8": (r"\bwords and pictures\b",),
    "P9": (
        r"\bnetwork\b",
        r"\bgrand(mother|father|parents?|ma|pa)\b",
        r"\b(aunt|uncle|relatives?|neighbours?)\b",
    ),
    "P10": (r"\bsafety plan", r"\bsafety rules\b", r"\brules\b", r"\bbottom lines?\b"),
    "P11": (r"\bnext steps?\b", r"\bactions?\b"),
    "P12": (r"\bmeetings?\b", r"\bconferences?\b", r"\bparticipat"),
    "P13": (r"\bsupervision\b", r"\boversight\b", r"\binquiry\b", r"\bmanager\b"),
    "P14": (r"\bimpact\b", r"\bsafer\b", r"\bdifference\b"),
}
_COMPILED = {key: [re.compile(word) for word in words] for key, words in ELEMENT_WORDS.items()}

# Words a quoted note may open with: articles, pronouns, family roles and the verbs of next steps.
# A note that opens with anything else (perhaps a name) is not quoted.
OPENINGS = frozenset(
    """a an the this that these those there it its we they she he his her their our both all each
    every some more most no not nothing little limited if when while after before since because
    although as at in on by for from with without to ask agree arrange book check complete continue
    discuss explore hold invite involve keep make meet plan record review rewrite share talk update
    use write mum dad mother father parents parent carer carers grandmother grandfather gran nan
    nana grandparents aunt uncle family families children child baby school worker workers social
    practitioner manager network safety scaling danger words harm good clear strong positive regular
    daily weekly everyone nobody""".split()
)
EXCERPT_LENGTH = 110
_DIGIT = re.compile(r"\d")
_LINK = re.compile(r"@|https?:|www\.", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def elements_mentioned(text: str) -> set[str]:
    """The rubric elements whose words appear in ``text``."""
    lowered = text.lower()
    return {key for key, patterns in _COMPILED.items() if any(p.search(lowered) for p in patterns)}


def is_quotable(text: str) -> bool:
    """True when ``text`` holds nothing that could name anyone (see the module docstring)."""
    if not text or _DIGIT.search(text) or _LINK.search(text):
        return False
    words = _WORD.findall(text)
    if not words or words[0].lower() not in OPENINGS:
        return False
    return all(not word[0].isupper() or word == "I" for word in words[1:])


def shorten(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—–-")
    return cut + "…"


def excerpts(texts: Iterable[str], *, limit: int = 2) -> list[str]:
    """Up to ``limit`` quotable notes, the most often written first (then the shortest), shortened."""
    counts: dict[str, int] = {}
    for text in texts:
        flat = " ".join(text.split())
        if is_quotable(flat):
            counts[flat] = counts.get(flat, 0) + 1
    ranked = sorted(counts, key=lambda text: (-counts[text], len(text), text))
    return [shorten(text) for text in ranked[:limit]]
