"""The quarterly journal: compiled from the workshop's visible answers, the reflections and the
headline measures; drafts for editors only; the numbers never identify an authority."""

import re

import pytest
from django.urls import reverse

from accounts.models import Authority
from journal import selectors, services
from journal.models import Journal, JournalStatus
from outcomes.presentation import BENCHMARK_MINIMUM
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.journal import builders
from tests.journal.builders import AWKWARD, QUARTER

pytestmark = pytest.mark.django_db

ESCAPED = (
    "We said &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;meant&quot; it 👩‍👧 ✨<br>"
    "Second line: O&#x27;Brien&#x27;s team"
)
SECTIONS = [
    "From the programme team",
    "What authorities achieved",
    "What authorities found hard",
    "Reflections from each authority",
    "The programme in numbers",
    "What the next workshop should cover",
]


def _numbers_section(page: str) -> str:
    start = page.index('data-testid="numbers"')
    return page[start : page.index("</section>", start)]


def _five_authorities(p) -> list[Authority]:
    return [
        p.authority_a,
        p.authority_b,
        *[AuthorityFactory(code=f"99{n}", name=f"Shire {n}") for n in range(3, 6)],
    ]


def _publish(p, journal: Journal) -> Journal:
    return services.journal_publish(journal=journal, acting_user=p.pam)


@pytest.fixture
def draft(personas):
    made = builders.workshop(personas)
    builders.answer(
        made,
        personas.leah,
        personas.authority_a,
        achievement=AWKWARD,
        challenge="Turnover",
        next_workshop="Danger statements",
    )
    [_, hidden, _] = builders.answer(
        made,
        personas.charlie,
        personas.authority_b,
        achievement="Shorter waits",
        challenge="The Smith family",
        next_workshop="Networks",
    )
    services.answer_hide(answer=hidden, reason="Names a family.", acting_user=personas.pam)
    services.reflection_save(
        authority=personas.authority_a,
        quarter=QUARTER,
        achievement="Reflected win",
        challenge="Reflected worry",
        acting_user=personas.quinn,
    )
    return builders.journal(personas, made, introduction="Welcome.\n\nA second paragraph.", publish=False)


@pytest.fixture
def published(personas, draft):
    return _publish(personas, draft)


def test_the_journal_prints_answers_verbatim_by_authority_and_leaves_hidden_ones_out(
    personas, login, published
):
    page = login(personas.alice).get(reverse("journal:detail", args=[published.pk])).content.decode()
    for title in SECTIONS:
        assert title in page
    assert ESCAPED in page and "<script>alert" not in page
    assert (
        "Shorter waits" in page and "Turnover" in page and "Danger statements" in page and "Networks" in page
    )
    assert "The Smith family" not in page
    assert "Reflected win" in page and "Reflected worry" in page
    assert "<p>Welcome.</p>" in page and "<p>A second paragraph.</p>" in page
    achieved = page.index("What authorities achieved")
    hard = page.index("What authorities found hard")
    assert achieved < page.index("Shorter waits") < hard < page.index("Turnover")


def test_charlie_and_alice_read_the_published_journal(personas, login, published):
    for reader in (personas.charlie, personas.alice, personas.ana):
        client = login(reader)
        assert client.get(reverse("journal:detail", args=[published.pk])).status_code == 200
        assert published.title in client.get(reverse("journal:list")).content.decode()


def test_drafts_are_invisible_to_readers(personas, login):
    draft = services.journal_compile(quarter=QUARTER, acting_user=personas.pam)
    for reader in (personas.alice, personas.charlie, personas.quinn):
        client = login(reader)
        assert client.get(reverse("journal:detail", args=[draft.pk])).status_code == 404
        assert client.get(reverse("journal:pdf", args=[draft.pk])).status_code == 404
        assert draft.title not in client.get(reverse("journal:list")).content.decode()
    editor = login(personas.pam)
    assert 'data-testid="draft"' in editor.get(reverse("journal:detail", args=[draft.pk])).content.decode()


@pytest.mark.parametrize("who", ["alice", "quinn", "leah", "charlie", "ana"])
def test_only_the_programme_team_compiles_edits_and_publishes(personas, login, who):
    client = login(getattr(personas, who))
    assert client.post(reverse("journal:compile"), {"quarter": "2026-27-Q2"}).status_code == 403
    draft = services.journal_compile(quarter=QUARTER, acting_user=personas.pam)
    assert client.get(reverse("journal:edit", args=[draft.pk])).status_code == 403
    assert client.post(reverse("journal:publish", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == JournalStatus.DRAFT


def test_pam_compiles_edits_and_publishes(personas, login):
    made = builders.workshop(personas)
    builders.answer(made, personas.leah, personas.authority_a, achievement="Kept", challenge="Dropped")
    client = login(personas.pam)
    response = client.post(reverse("journal:compile"), {"quarter": "2026-27-Q2"})
    journal = Journal.objects.get()
    assert response["Location"] == reverse("journal:edit", args=[journal.pk])
    assert journal.workshop == made and journal.title == "Quarterly journal 2026-27 Q2"
    keys = builders.question_ids(made)
    client.post(
        reverse("journal:edit", args=[journal.pk]),
        {
            "title": "Summer journal",
            "introduction": "Hello",
            "workshop": made.pk,
            "include": [keys["achievement"], keys["next-workshop"]],
        },
    )
    journal.refresh_from_db()
    assert journal.title == "Summer journal"
    assert list(journal.left_out.values_list("item_key", flat=True)) == ["challenge"]
    client.post(reverse("journal:publish", args=[journal.pk]))
    journal.refresh_from_db()
    assert journal.status == JournalStatus.PUBLISHED and journal.published_by == personas.pam
    assert journal.history.latest().history_user == personas.pam
    page = login(personas.alice).get(reverse("journal:detail", args=[journal.pk])).content.decode()
    assert "Kept" in page and "Dropped" not in page


def test_a_second_journal_for_the_same_quarter_is_refused(personas):
    services.journal_compile(quarter=QUARTER, acting_user=personas.pam)
    with pytest.raises(services.ValidationError, match="already a journal for 2026-27 Q2"):
        services.journal_compile(quarter=QUARTER, acting_user=personas.pam)


# --- the programme in numbers ---------------------------------------------------------------------


def test_the_numbers_are_de_identified_medians_of_five_or_more_authorities(personas, login, draft):
    authorities = _five_authorities(personas)
    # Ashdown's figure (12.3%) is the lowest: neither the median nor a quartile.
    builders.measure_values(
        authorities, "rereferrals_12m", ["0.1234", "0.2000", "0.2200", "0.2500", "0.3000"]
    )
    published = _publish(personas, draft)
    page = login(personas.charlie).get(reverse("journal:detail", args=[published.pk])).content.decode()
    numbers = _numbers_section(page)
    assert "Re-referrals" in numbers or "re-referral" in numbers.lower()
    assert "22.0%" in numbers  # the median
    assert "20.0%–25.0%" in numbers  # the middle half
    assert "12.3%" not in numbers and "30.0%" not in numbers  # no single authority's figure
    for authority in Authority.objects.all():
        assert authority.name not in numbers and authority.code not in re.sub(r"\d+\.\d%", "", numbers)


def test_the_numbers_are_absent_below_five_authorities(personas, login, draft):
    authorities = _five_authorities(personas)[: BENCHMARK_MINIMUM - 1]
    builders.measure_values(authorities, "rereferrals_12m", ["0.1234", "0.2000", "0.2200", "0.2500"])
    published = _publish(personas, draft)
    numbers = _numbers_section(
        login(personas.charlie).get(reverse("journal:detail", args=[published.pk])).content.decode()
    )
    assert "%" not in numbers.replace("fewer than 5", "")
    assert "Not shown for 2026-27 Q2" in numbers
    assert selectors.programme_numbers(QUARTER) == []


def test_a_value_too_small_to_show_never_counts(personas, published):
    authorities = _five_authorities(personas)
    builders.measure_values(
        authorities, "rereferrals_12m", ["0.1234", "0.2000", "0.2200", "0.2500", "0.0030"]
    )
    # The last one has a numerator of 3: suppressed, so only four authorities count.
    assert selectors.programme_numbers(QUARTER) == []


def test_a_draft_page_reads_the_same_number_of_queries_as_answers_grow(
    personas, login, draft, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(personas.pam)
    url = reverse("journal:detail", args=[draft.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(6):
        authority = AuthorityFactory(code=f"98{n}", name=f"Borough {n}")
        person = UserFactory(username=f"lead{n}")
        MembershipFactory(user=person, authority=authority, role="leader")
        builders.answer(draft.workshop, person, authority, next_workshop=f"Idea {n}")
        services.reflection_save(
            authority=authority, quarter=QUARTER, achievement="a", challenge="b", acting_user=person
        )
    with django_assert_num_queries(len(few)):
        page = client.get(url).content.decode()
    assert "Idea 5" in page and "Borough 5" in page


def test_the_content_selector_reads_a_fixed_number_of_queries(personas, draft, django_assert_num_queries):
    journal = Journal.objects.select_related("workshop").get(pk=draft.pk)
    with django_assert_num_queries(selectors.JOURNAL_QUERIES):
        selectors.journal_content(journal)
    _publish(personas, draft)
    journal = Journal.objects.select_related("workshop").get(pk=draft.pk)
    with django_assert_num_queries(0):  # the snapshot
        selectors.journal_content(journal)
