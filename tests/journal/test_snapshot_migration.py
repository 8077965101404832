"""``journal.0002_journal_snapshot`` gives a journal published before it the snapshot publishing
would store now (its copy of the compilation matches ``selectors.compile_content``); drafts keep
none."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from journal import selectors, services
from journal.models import Journal, WorkshopStatus
from tests.factories import AuthorityFactory
from tests.journal import builders
from tests.journal.builders import QUARTER

BEFORE = [("journal", "0001_workshops_reflections_journal")]
AFTER = [("journal", "0002_journal_snapshot")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


# serialized_rollback: the flush that ends a transactional test would otherwise leave later tests
# (and this one, after another transactional test) without the rows that migrations load.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_journals_published_before_get_their_snapshot(personas):
    made = builders.workshop(personas, status=WorkshopStatus.DRAFT)
    extra = services.question_add(workshop=made, text="Anything else?", acting_user=personas.pam)
    made = services.workshop_set_status(
        workshop=made, to_status=WorkshopStatus.OPEN, acting_user=personas.pam
    )
    builders.answer(
        made, personas.leah, personas.authority_a, achievement=builders.AWKWARD, challenge="Turnover"
    )
    keys = builders.question_ids(made)
    saved = services.answers_save(
        workshop=made,
        authority=personas.authority_b,
        texts={keys["achievement"]: "Names", keys["challenge"]: "Hard", extra.pk: "More maps"},
        acting_user=personas.charlie,
    )
    hidden = next(answer for answer in saved if answer.text == "Names")
    services.answer_hide(answer=hidden, reason="Names a family.", acting_user=personas.pam)
    services.reflection_save(
        authority=personas.authority_a,
        quarter=QUARTER,
        achievement="Reflected win",
        challenge="Reflected worry",
        acting_user=personas.quinn,
    )
    authorities = [
        personas.authority_a,
        personas.authority_b,
        *[AuthorityFactory(code=f"99{n}", name=f"Shire {n}") for n in range(3, 6)],
    ]
    builders.measure_values(
        authorities, "rereferrals_12m", ["0.1000", "0.2000", "0.2200", "0.2500", "0.3000"]
    )
    published = builders.journal(personas, made, introduction="Welcome.\n\nMore.")
    expected = published.snapshot
    assert expected["other_questions"] and expected["numbers"] and expected["reflections"]
    later = services.journal_compile(quarter=QUARTER.replace(month=10), acting_user=personas.pam)

    _migrate(BEFORE)  # the snapshot column goes
    _migrate(AFTER)  # and comes back, compiled by the migration

    migrated = Journal.objects.get(pk=published.pk)
    assert migrated.snapshot == expected
    assert (
        selectors.content_from_snapshot(migrated, migrated.snapshot).reflections[0].achievement
        == "Reflected win"
    )
    assert Journal.objects.get(pk=later.pk).snapshot is None
