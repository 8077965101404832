"""``python -m bench [--scale quick|full] [--authorities N] [--children N]``: build, measure, write.

Environment: ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/qa_bench, dropped
and created), ``BENCH_LOCUST_SECONDS`` (default 120), ``BENCH_AS_OF`` (default today).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import estate

ROOT = Path(__file__).resolve().parent.parent


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", default=os.environ.get("SCALE") or "quick", choices=sorted(estate.SCALES))
    parser.add_argument("--authorities", type=int, help="Override the scale's number of authorities")
    parser.add_argument("--children", type=int, help="Override the children per authority")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeats", type=int, default=30, help="Requests per page for the page timings")
    parser.add_argument("--locust-users", type=int, default=50)
    parser.add_argument(
        "--locust-seconds", type=int, default=int(os.environ.get("BENCH_LOCUST_SECONDS", 120))
    )
    parser.add_argument("--no-locust", action="store_true")
    parser.add_argument("--memory-children", default="10000,40000", help="Children of the two memory probes")
    parser.add_argument(
        "--stages",
        help=f"Only these stages, comma-separated ({', '.join(STAGES)}); the results are printed, not written",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the bench database a previous run built (skips the build; for --stages without build)",
    )
    return parser.parse_args(argv)


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="qa-bench-media-"))
    import django

    django.setup()


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> dict:
    args = _arguments(argv)
    base = estate.SCALES[args.scale]
    scale = estate.Scale(
        name=args.scale if not (args.authorities or args.children) else "custom",
        authorities=args.authorities or base.authorities,
        children=args.children or base.children,
    )
    as_of = date.fromisoformat(os.environ["BENCH_AS_OF"]) if os.environ.get("BENCH_AS_OF") else _today()
    url = estate.database_url()
    if args.reuse:
        _log(f"scale {scale.label}: reusing {url.rsplit('/', 1)[-1]}")
    else:
        _log(f"scale {scale.label}: recreating {url.rsplit('/', 1)[-1]}")
        estate.recreate_database(url)
    _setup(url)
    from django.core.management import call_command

    from bench import results as writer

    call_command("migrate", verbosity=0)
    work = Path(tempfile.mkdtemp(prefix=f"qa-bench-{scale.label}-"))
    command = "make bench" + (f" SCALE={args.scale}" if args.scale != "quick" else "")
    if scale.name == "custom":
        command = f"python -m bench --authorities {scale.authorities} --children {scale.children}"
    out: dict = {
        "date": _today().isoformat(),
        "as_of": as_of.isoformat(),
        "command": command,
        "scale": {
            "label": scale.label,
            "authorities": scale.authorities,
            "children_per_authority": scale.children,
            "years": f"{scale.years[0]}-{scale.years[-1]}",
            "note": "the first authority has 4 times the children, the second a tenth (large and small)",
        },
    }
    chosen = (
        args.stages.split(",")
        if args.stages
        else [name for name in STAGES if name != "locust" or not args.no_locust]
    )
    unknown = set(chosen) - set(STAGES)
    if unknown:
        raise SystemExit(f"Unknown stages {', '.join(sorted(unknown))}: choose from {', '.join(STAGES)}")
    context = {"args": args, "scale": scale, "as_of": as_of, "work": work}
    if "build" not in chosen:
        _recall(context)
    for name in chosen:
        stage = STAGES[name]
        _log(f"{name} …")
        started = time.perf_counter()
        try:
            stage(context, out)
        except Exception as error:  # a failed stage is reported, the others still run
            out.setdefault("errors", {})[name] = f"{type(error).__name__}: {error}"
            _log(f"{name} failed: {error}")
        _log(f"{name} done in {time.perf_counter() - started:.1f} s")
    out["machine"] = writer.machine()
    if args.stages:
        partial = work / "results.json"
        partial.write_text(json.dumps(out, indent=1, default=str))
        _log(f"wrote {partial} (stages {args.stages}: the results page is left as it is)")
        return out
    path = writer.write_json(out)
    writer.write_doc(out)
    _log(f"wrote {path} and {writer.DOC}")
    for what, measured, target, met in writer.rows(out):
        print(f"  {what}: {measured} (target {target}) {met}")
    return out


# --- stages -----------------------------------------------------------------------------------


def _build(context: dict, out: dict) -> None:
    from accounts.models import Authority
    from bench.measure import timer
    from cases import synthetic

    scale, as_of, work = context["scale"], context["as_of"], context["work"]
    made = estate.create_people(scale)
    codes = made.codes
    context["codes"] = codes
    context["large"], context["small"] = codes[0], codes[1]
    returns = work / "returns"
    authorities = dict(synthetic.default_authorities(scale.authorities))

    with timer() as generated:
        groups = [
            ([codes[0]], scale.children * 4),
            ([codes[1]], max(30, scale.children // 10)),
            (codes[2:], scale.children),
        ]
        for group, children in groups:
            if group:
                synthetic.generate(
                    returns,
                    authorities=[(code, authorities[code]) for code in group],
                    children_per_authority=children,
                    seed=context["args"].seed,
                    years=scale.years,
                    as_of=as_of,
                    teams=[name for name, _ in estate.TEAMS],
                    workers=scale.workers,
                )
    out["generate_s"] = round(generated["seconds"], 1)
    context["returns"] = returns
    cin_children = 0
    totals: dict[str, dict[str, int]] = {"cin": {}, "ssda903": {}, "annex_a": {}}
    seconds = {"cin": 0.0, "ssda903": 0.0, "annex_a": 0.0}
    for code in codes:
        folder = returns / code
        cin = sorted(folder.glob("cin_census_*.xml"))
        cin_children += sum(estate.cin_children(path) for path in cin)
        for kind, paths in (
            ("cin", cin),
            ("ssda903", [folder / "ssda903_header.csv", folder / "ssda903_episodes.csv"]),
            ("annex_a", [folder / synthetic.ANNEX_A_FILE]),
        ):
            with timer() as took:
                found = estate.import_paths(code, paths, username=made.qa_leads[code])
            seconds[kind] += took["seconds"]
            for key, value in found.items():
                totals[kind][key] = totals[kind].get(key, 0) + value
    from cases.models import Child

    out["children"] = Child.objects.count()
    out["import"] = {
        "cin_child_records": cin_children,
        "cin_seconds": round(seconds["cin"], 1),
        "cin_children_per_s": round(cin_children / seconds["cin"]),
        "cin_records_per_s": round(
            sum(totals["cin"][k] for k in ("stored", "updated", "unchanged")) / seconds["cin"]
        ),
        "ssda903_seconds": round(seconds["ssda903"], 1),
        "annex_a_seconds": round(seconds["annex_a"], 1),
        "runs": totals,
    }
    out["import"]["profile_one_cin_file"] = _import_profile(
        returns / codes[0] / f"cin_census_{scale.years[-1]}.xml"
    )
    from audits import synthetic as audits
    from audits.models import AuditAnswer

    with timer() as took:
        written = audits.generate(
            authorities=list(Authority.objects.order_by("code")),
            seed=context["args"].seed,
            as_of=as_of,
        )
    out["audits"] = {
        "audits": sum(written.values()),
        "answers": AuditAnswer.objects.count(),
        "seconds": round(took["seconds"], 1),
    }
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    out["records"] = _record_counts()


def _recall(context: dict) -> None:
    """What the build would have told the later stages, read back from a kept database."""
    from accounts.models import Authority

    codes = list(Authority.objects.order_by("code").values_list("code", flat=True))
    if not codes:
        raise SystemExit("The bench database is empty: run the build stage first")
    context["codes"] = codes
    context["large"], context["small"] = codes[0], codes[1]


def _import_profile(path: Path) -> dict:
    """cProfile and SQL profile of importing one CIN census file again into a scratch authority
    (rolled back)."""
    from django.db import transaction

    from accounts.models import Authority
    from bench.measure import python_profile, sql_profile
    from cases.services import import_files

    class RolledBack(Exception):
        pass

    found: dict = {"file": path.name, "children": estate.cin_children(path)}
    try:
        with transaction.atomic(), sql_profile() as sql:
            authority = Authority.objects.create(code="700", name="Profile probe")
            started = time.perf_counter()
            _, found["python"] = python_profile(
                lambda: import_files(authority=authority, paths=[path], allow_other_authority=True)
            )
            found["seconds_under_profiler"] = round(time.perf_counter() - started, 2)
            found["sql"] = sql.as_dict()
            raise RolledBack
    except RolledBack:
        pass
    return found


def _record_counts() -> dict:
    from cases.models import Assessment, CareEpisode, CPPlan, Referral, Section47

    return {
        model.__name__: model.objects.count()
        for model in (Referral, Assessment, Section47, CPPlan, CareEpisode)
    }


def _aggregate(context: dict, out: dict) -> None:
    from bench import reference
    from bench.measure import explain, python_profile, sql_profile, timer
    from outcomes.services import measures_compute

    # From no stored values, as after the build (a run with --reuse finds the last run's values).
    _clear_values()
    with sql_profile() as profile, timer() as took:
        rows = measures_compute()
    from outcomes.registry import MEASURES

    out["measures"] = len(MEASURES)
    out["aggregation"] = {"seconds": round(took["seconds"], 2), "rows": rows, "sql": profile.as_dict()}
    _, slowest_sql, params = profile.slowest
    out["aggregation"]["slowest_statement_s"] = round(profile.slowest[0], 3)
    out["aggregation"]["slowest_statement"] = slowest_sql[:4000]
    try:
        out["aggregation"]["slowest_explain"] = explain(slowest_sql, params)
    except Exception as error:
        out["aggregation"]["slowest_explain"] = f"could not explain: {error}"
    from bench.reference import CASE_MEASURES

    # The same figures as the hand-written SQL: the job for the nine case measures alone, stored,
    # into a table without them (as the SQL writes into a table it has just created).
    _clear_values(measures=list(CASE_MEASURES))
    with timer() as took:
        rows = measures_compute(measures=list(CASE_MEASURES))
    out["aggregation"]["case_measures_stored"] = {"seconds": round(took["seconds"], 2), "rows": rows}
    out["aggregation"]["case_measures_only"] = _case_measures_only()
    first = reference.run()
    second = reference.run()
    out["reference"] = {
        "seconds": round(min(first["seconds"], second["seconds"]), 2),
        "first_s": round(first["seconds"], 2),
        "rows": second["rows"],
        "explain": reference.explain(),
    }
    out["reference_check"] = reference.compare(
        reference.platform_values(), reference.reference_values()
    ).as_dict()
    from accounts.models import Authority

    large = Authority.objects.get(code=context["large"])
    _, text = python_profile(lambda: measures_compute(authority_ids=[large.pk]))
    out["aggregation"]["profile_one_large_authority"] = text


def _clear_values(measures: list[str] | None = None) -> None:
    """Delete the stored values (of ``measures`` only, when given) and vacuum the table."""
    from django.db import connection

    from outcomes.models import MeasureValue

    table = MeasureValue._meta.db_table
    with connection.cursor() as cursor:
        if measures is None:
            cursor.execute(f"TRUNCATE {table}")
        else:
            cursor.execute(f"DELETE FROM {table} WHERE measure = ANY(%s)", [measures])
        cursor.execute(f"VACUUM ANALYZE {table}")


def _case_measures_only() -> dict:
    """The platform's own queries for the nine case measures (``outcomes.case_measures``), read
    only, without storing: once per authority, and once for every authority together (one
    ``counts_every`` per measure: every period type, the authorities and their teams)."""
    from accounts.models import Authority
    from bench.reference import CASE_MEASURES
    from outcomes.registry import MEASURES

    # The full aggregation has run first: the calendar and the reporting periods are there.
    ids = list(Authority.objects.order_by("pk").values_list("pk", flat=True))

    def run(groups: list[list[int] | None]) -> float:
        started = time.perf_counter()
        for authority_ids in groups:
            for key in CASE_MEASURES:
                MEASURES[key].counts_every(authority_ids=authority_ids)
        return round(time.perf_counter() - started, 2)

    return {"per_authority_s": run([[pk] for pk in ids]), "all_authorities_at_once_s": run([None])}


def _finished_run_seconds(batch_before: set) -> float | None:
    from outcomes.models import JobKind, JobRun

    runs = JobRun.objects.filter(kind=JobKind.INCREMENTAL).exclude(pk__in=batch_before)
    durations = [(run.finished_at - run.started_at).total_seconds() for run in runs if run.finished_at]
    return round(sum(durations), 3) if durations else None


def _incremental(context: dict, out: dict) -> None:
    from django.utils import timezone

    from accounts.models import Authority, User
    from audits import auditing
    from audits.models import Audit, AuditAnswer, AuditStatus
    from bench.measure import timer
    from cases import synthetic
    from cases.services import import_run_create, import_run_execute
    from outcomes.models import JobRun
    from outcomes.services import mark_stale, measures_refresh

    code = context["codes"][len(context["codes"]) // 2]
    authority = Authority.objects.get(code=code)
    qa_lead = User.objects.get(username=f"qa{code}")
    results: dict = {"authority": code}
    # One audit signed off: a copy of a signed-off audit, put back to "submitted", then signed off
    # through the service (which marks the authority stale and runs the incremental job at commit).
    model = Audit.objects.filter(authority=authority, status=AuditStatus.SIGNED_OFF).order_by("pk").first()
    if model is None:
        raise RuntimeError(f"authority {code} has no signed-off audit to copy")
    answers = list(AuditAnswer.objects.filter(audit=model))
    audit = Audit.objects.get(pk=model.pk)
    audit.pk = None
    audit.status, audit.signed_off_at, audit.signed_off_by, audit.for_moderation = (
        AuditStatus.SUBMITTED,
        None,
        None,
        False,
    )
    audit.submitted_at = timezone.now()
    audit.save()
    for answer in answers:
        answer.pk, answer.audit = None, audit
    AuditAnswer.objects.bulk_create(answers)
    before = set(JobRun.objects.values_list("pk", flat=True))
    with timer() as took:
        auditing.audit_move(audit=audit, to_status=AuditStatus.SIGNED_OFF, acting_user=qa_lead)
    results["after_audit_sign_off"] = {
        "sign_off_and_job_s": round(took["seconds"], 3),
        "job_s": _finished_run_seconds(before),
    }
    # One authority re-imports one census year: the same year regenerated with other events (as a
    # corrected return would be), imported through the service with the recompute the upload asks for.
    year = context["scale"].years[-1]
    folder = context["work"] / "reimport"
    synthetic.generate(
        folder,
        authorities=[(code, authority.name)],
        children_per_authority=context["scale"].children,
        seed=context["args"].seed + 1,
        years=range(year, year + 1),
        as_of=context["as_of"],
    )
    path = folder / code / f"cin_census_{year}.xml"
    before = set(JobRun.objects.values_list("pk", flat=True))
    from django.core.files import File

    with path.open("rb") as handle:
        run = import_run_create(authority=authority, file=File(handle, name=path.name), acting_user=qa_lead)
    with timer() as took:
        run = import_run_execute(import_run_id=run.pk, recompute=True)
    results["after_yearly_import"] = {
        "import_and_job_s": round(took["seconds"], 3),
        "job_s": _finished_run_seconds(before),
        "stored": run.stored,
        "updated": run.updated,
        "marks_since": run.changed_from.isoformat() if run.changed_from else "the start",
    }
    # The same recompute if the import marked only from the start of the census year it touched
    # (the mark runs the job at once: background work runs in the caller in the bench settings).
    before = set(JobRun.objects.values_list("pk", flat=True))
    mark_stale(authority_id=authority.pk, since=date(year - 1, 4, 1), reason="bench: from the census year")
    measures_refresh(authority_ids=[authority.pk], debounce_seconds=0)  # in case the mark did not run it
    results["if_import_marked_from_its_year"] = {"job_s": _finished_run_seconds(before)}
    out["incremental"] = results


def _memory(context: dict, out: dict) -> None:
    from cases import synthetic

    probes = []
    for children in (int(part) for part in context["args"].memory_children.split(",")):
        folder = context["work"] / f"memory-{children}"
        synthetic.generate(
            folder,
            authorities=[("700", "Memory probe")],
            children_per_authority=children,
            seed=context["args"].seed,
            years=range(context["scale"].years[-1], context["scale"].years[-1] + 1),
            as_of=context["as_of"],
        )
        path = folder / "700" / f"cin_census_{context['scale'].years[-1]}.xml"
        finished = subprocess.run(
            [sys.executable, "-m", "bench.memory", str(path)],
            cwd=ROOT,
            env={**os.environ},
            capture_output=True,
            text=True,
            check=True,
        )
        probes.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    out["memory"] = probes


def _pages(context: dict, out: dict) -> None:
    from bench.pages import time_pages, time_pdf

    users = {"large authority": f"leader{context['large']}", "small authority": f"leader{context['small']}"}
    out["pages"] = time_pages(users, repeats=context["args"].repeats)
    counts: dict[str, set] = {}
    for name, page in out["pages"].items():
        counts.setdefault(name.split(" ")[0], set()).add(page.get("queries"))
    out["query_counts_independent_of_size"] = all(len(found) == 1 for found in counts.values())
    as_of = context["as_of"]
    quarter_start = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    last_quarter = (quarter_start - timedelta(days=1)).replace(day=1)
    last_quarter = date(last_quarter.year, (last_quarter.month - 1) // 3 * 3 + 1, 1)
    out["pdf"] = {"authority": context["large"], "quarter_start": last_quarter.isoformat()}
    out["pdf"].update(time_pdf(context["large"], last_quarter))
    from accounts.models import Authority
    from bench.measure import python_profile
    from reports.services import render_pdf

    authority = Authority.objects.get(code=context["large"])
    _, out["pdf"]["profile"] = python_profile(
        lambda: render_pdf(authority=authority, quarter_start=last_quarter), lines=30
    )


def _locust(context: dict, out: dict) -> None:
    from bench import load

    plan = load.prepare_plan(context["large"], context["args"].locust_users, context["work"])
    out["locust"] = load.run(
        plan,
        users=context["args"].locust_users,
        seconds=context["args"].locust_seconds,
        folder=context["work"],
    )
    out["locust"]["logs"] = str(context["work"])


STAGES = {
    "build": _build,
    "aggregate": _aggregate,
    "incremental": _incremental,
    "memory": _memory,
    "pages": _pages,
    "locust": _locust,
}
