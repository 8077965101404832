"""The coverage measures work out the open cases inside the query that counts them: the work table
``outcomes_opencase`` goes, and ``OpenCase`` stays as an unmanaged model the ORM compiles against."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_programme_team"),
        ("cases", "0004_import_run_changes"),
        ("outcomes", "0004_faster_aggregation"),
    ]

    operations = [
        migrations.DeleteModel(name="OpenCase"),
        migrations.CreateModel(
            name="OpenCase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period_type", models.CharField(choices=[("month", "Month"), ("quarter", "Financial quarter"), ("year", "Financial year")], max_length=10)),
                ("period_start", models.DateField()),
                ("period_end", models.DateField()),
                ("authority", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.authority")),
                ("child", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="cases.child")),
                ("team", models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.team")),
            ],
            options={"managed": False},
        ),
    ]
