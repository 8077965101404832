"""A published journal keeps what it showed when it was published (``Journal.snapshot``).

Journals published before this migration get their snapshot here, compiled from the rows as they
are now (the journal's visible answers, the quarter's reflections and the headline measures), in
the shape ``journal.selectors.snapshot_of`` writes (version 1). The compilation is a copy of
``journal.selectors.compile_content`` as it stands at this migration, written against the
migration's historical models so that it keeps working whatever the models later become; the
figures are worked out by the same pure functions of ``outcomes.presentation`` and the measure
registry. Then the database refuses a published journal without a snapshot.
"""

import re
from collections import defaultdict

from django.conf import settings
from django.db import migrations, models

SECTION_KEYS = ("achievement", "challenge", "next-workshop")
NUMBER_KEYS = (
    "rereferrals_12m",
    "assessments_45wd",
    "icpc_15wd",
    "repeat_cp_plans",
    "fidelity_overall",
    "family_participation",
    "childs_voice_evident",
)
DIRECTIONS = {"up": "Higher is better", "down": "Lower is better", None: ""}


def _paragraphs(text):
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def _groups(answers):
    groups = {}
    for answer in sorted(answers, key=lambda a: (a.authority.name, a.answered_at, a.pk)):
        groups.setdefault(answer.authority.name, []).append(answer.text)
    return [{"authority": name, "answers": texts} for name, texts in groups.items()]


def _numbers(apps, quarter):
    from outcomes import presentation
    from outcomes.registry import MEASURES

    MeasureValue = apps.get_model("outcomes", "MeasureValue")
    keys = [key for key in NUMBER_KEYS if key in MEASURES]
    values = defaultdict(list)
    rows = MeasureValue.objects.filter(
        team__isnull=True, period_type="quarter", period_start=quarter, measure__in=keys
    ).values_list("measure", "value", "numerator")
    for key, value, numerator in rows:
        kept = presentation.benchmarkable(value, numerator=numerator, unit=MEASURES[key].reads_as)
        if kept is not None:
            values[key].append(kept)
    lines = []
    for key in keys:
        measure = MEASURES[key]
        mark = presentation.benchmark(values[key], None, direction=measure.direction)
        if mark is None:
            continue
        lines.append(
            {
                "key": key,
                "name": measure.name,
                "authorities": mark.authorities,
                "median": presentation.value_text(mark.median, measure.reads_as),
                "middle_half": presentation.band_text(mark, measure.reads_as),
                "direction": DIRECTIONS.get(measure.direction, ""),
            }
        )
    return lines


def snapshot_published(apps, schema_editor):
    from outcomes import presentation

    Journal = apps.get_model("journal", "Journal")
    PollAnswer = apps.get_model("journal", "PollAnswer")
    QuarterlyReflection = apps.get_model("journal", "QuarterlyReflection")
    for journal in Journal.objects.filter(status="published", snapshot__isnull=True).select_related("workshop"):
        left_out = set(journal.left_out.values_list("pk", flat=True))
        questions = (
            [q for q in journal.workshop.questions.order_by("order", "pk") if q.pk not in left_out]
            if journal.workshop
            else []
        )
        by_question = defaultdict(list)
        answers = PollAnswer.objects.filter(question_id__in=[q.pk for q in questions], hidden=False)
        for answer in answers.select_related("authority"):
            by_question[answer.question_id].append(answer)

        def section(key, questions=questions, by_question=by_question):
            return _groups([a for q in questions if q.item_key == key for a in by_question[q.pk]])

        reflections = QuarterlyReflection.objects.filter(quarter=journal.quarter).select_related("authority")
        journal.snapshot = {
            "version": 1,
            "introduction": _paragraphs(journal.introduction),
            "workshop_held_on": journal.workshop.held_on.isoformat() if journal.workshop else None,
            "achieved": section("achievement"),
            "found_hard": section("challenge"),
            "next_workshop": section("next-workshop"),
            "other_questions": [
                {"text": q.text, "groups": _groups(by_question[q.pk])}
                for q in questions
                if q.item_key not in SECTION_KEYS and by_question[q.pk]
            ],
            "reflections": sorted(
                (
                    {"authority": r.authority.name, "achievement": r.achievement, "challenge": r.challenge}
                    for r in reflections
                ),
                key=lambda r: r["authority"],
            ),
            "numbers": _numbers(apps, journal.quarter),
            "benchmark_minimum": presentation.BENCHMARK_MINIMUM,
        }
        journal.save(update_fields=["snapshot"])


class Migration(migrations.Migration):
    dependencies = [
        ("journal", "0001_workshops_reflections_journal"),
        ("outcomes", "0004_faster_aggregation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicaljournal",
            name="snapshot",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text="What the journal showed when it was published (``selectors.snapshot_of``); "
                "empty for a draft.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="journal",
            name="snapshot",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text="What the journal showed when it was published (``selectors.snapshot_of``); "
                "empty for a draft.",
                null=True,
            ),
        ),
        migrations.RunPython(snapshot_published, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="journal",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "published"), _negated=True) | models.Q(snapshot__isnull=False),
                name="published_journal_has_snapshot",
                violation_error_message="A published journal keeps what it showed when published.",
            ),
        ),
    ]
