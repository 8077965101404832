"""Write a run's results: ``bench/results/<date>-<scale>.json`` and its table in ``docs/benchmarks.md``.

The table of each scale sits between ``<!-- bench:<scale> -->`` and ``<!-- /bench:<scale> -->``;
a run replaces its own scale's table and leaves the rest of the page (the notes, the other
scales) alone.
"""

import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results")
DOC = ROOT / "docs" / "benchmarks.md"


def machine() -> dict:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    cpu = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in run("lscpu").splitlines())
        if key.strip() in {"Model name", "CPU(s)", "Thread(s) per core"}
    }
    memory = run("free", "-m").splitlines()
    total = memory[1].split()[1] if len(memory) > 1 else "?"
    postgres = ""
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
    except Exception:  # the machine is described even without a database
        postgres = "?"
    return {
        "cpu": cpu.get("Model name", "?"),
        "cpus": cpu.get("CPU(s)", "?"),
        "memory_mb": total,
        "postgres": postgres,
        "commit": run("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD").strip() or "?",
        # Other work on the machine moves the figures: the load when the run ended.
        "load_average": [round(value, 1) for value in os.getloadavg()],
    }


def write_json(results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{results['date']}-{results['scale']['label']}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _met(value, target: float, *, at_most: bool = True) -> str:
    if value is None:
        return "not measured"
    return "met" if (value <= target if at_most else value >= target) else "**not met**"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, met?) of a run, in the order of the issue."""
    found: list[tuple[str, str, str, str]] = []
    add = found.append
    imp = results.get("import", {})
    add(
        (
            "CIN import, children per second",
            f"{imp.get('cin_children_per_s', 0):,.0f}",
            "≥ 5,000",
            _met(imp.get("cin_children_per_s"), 5000, at_most=False),
        )
    )
    for probe in results.get("memory", []):
        add(
            (
                f"Import peak memory, one file of {probe['children']:,} children ({probe['file_mb']} MB)",
                f"{probe['peak_rss_mb']:.0f} MB (Django alone {probe['baseline_rss_mb']:.0f} MB)",
                "≤ 300 MB, flat",
                _met(probe["peak_rss_mb"], 300),
            )
        )
    probes = results.get("memory", [])
    if len(probes) >= 2:
        small, large = probes[0], probes[-1]
        growth = large["peak_rss_mb"] - small["peak_rss_mb"]
        per_10k = growth / max(1, large["children"] - small["children"]) * 10_000
        add(
            (
                "Import memory flat as the file grows",
                f"+{growth:.0f} MB from {small['children']:,} to {large['children']:,} children "
                f"({per_10k:.0f} MB per 10,000 children)",
                "flat (≤ 10 MB growth)",
                _met(growth, 10),
            )
        )
    agg, ref = results.get("aggregation", {}), results.get("reference", {})
    ratio = agg.get("seconds", 0) / ref["seconds"] if ref.get("seconds") else None
    stored = agg.get("case_measures_stored")
    same = stored["seconds"] / ref["seconds"] if stored and ref.get("seconds") else None
    add(
        (
            "Hand-written SQL (nine case measures, stored)",
            f"{ref.get('seconds', 0):.2f} s ({ref.get('rows', 0):,} rows)",
            "lower bound",
            "",
        )
    )
    if stored:
        add(
            (
                "The job for the same nine case measures, values stored",
                f"{stored['seconds']:.1f} s ({stored['rows']:,} rows): {same:.1f} × the SQL",
                "≤ 2 × hand-written SQL",
                _met(same, 2.0),
            )
        )
    add(
        (
            f"Full aggregation of every measure ({results.get('measures', '?')}: case, audit, coverage), values stored",
            f"{agg.get('seconds', 0):.1f} s ({agg.get('rows', 0):,} rows): "
            + (f"{ratio:.1f} × the nine measures' SQL" if ratio else "?"),
            "≤ 2 × hand-written SQL",
            _met(ratio, 2.0),
        )
    )
    only = agg.get("case_measures_only")
    if only:
        add(
            (
                "Platform's queries for the nine case measures alone, not stored",
                f"{only['per_authority_s']:.1f} s one authority at a time; "
                f"{only['all_authorities_at_once_s']:.1f} s all authorities at once",
                "≤ 2 × hand-written SQL",
                _met(only["all_authorities_at_once_s"] / ref["seconds"], 2.0) if ref.get("seconds") else "",
            )
        )
    check = results.get("reference_check", {})
    not_stored = check.get("not_stored", 0)
    add(
        (
            "SQL reference = stored values",
            f"{check.get('value_mismatches', check.get('mismatch_count', '?'))} differing values of "
            f"{check.get('compared', 0):,} compared"
            + (
                f"; {not_stored} reference rows in periods the platform stores none for "
                f"({', '.join(check.get('not_stored_measures', []))}, teams)"
                if not_stored
                else ""
            ),
            "0",
            _met(check.get("mismatch_count"), 0),
        )
    )
    inc = results.get("incremental", {})
    audit, yearly = inc.get("after_audit_sign_off", {}), inc.get("after_yearly_import", {})
    add(
        (
            "Incremental job after one audit sign-off",
            f"{audit.get('job_s', 0):.2f} s",
            "≤ 1 s",
            _met(audit.get("job_s"), 1.0),
        )
    )
    add(
        (
            "Incremental job after one authority's yearly file",
            f"{yearly.get('job_s', 0):.2f} s",
            "≤ 2 s",
            _met(yearly.get("job_s"), 2.0),
        )
    )
    marked = inc.get("if_import_marked_from_its_year", {})
    if marked.get("job_s") is not None:
        add(
            (
                "… the same if the import marked only from its census year",
                f"{marked['job_s']:.2f} s",
                "≤ 2 s",
                _met(marked["job_s"], 2.0),
            )
        )
    for name, page in results.get("pages", {}).items():
        if "error" in page:
            add((name, page["error"], "≤ 200 ms", "**not met**"))
            continue
        add(
            (
                f"{name}: median / p95, queries",
                f"{page['median_ms']:.0f} / {page['p95_ms']:.0f} ms, {page['queries']} queries",
                "p95 ≤ 200 ms",
                _met(page["p95_ms"], 200),
            )
        )
    counts = results.get("query_counts_independent_of_size")
    if counts is not None:
        add(
            (
                "Query count independent of size",
                "yes" if counts else "no",
                "same for large and small",
                "met" if counts else "**not met**",
            )
        )
    pdf = results.get("pdf", {})
    add(
        (
            "PDF outcome report, one authority",
            f"{pdf.get('warm_s', 0):.1f} s (first {pdf.get('first_s', 0):.1f} s)",
            "≤ 3 s",
            _met(pdf.get("warm_s"), 3.0),
        )
    )
    load = results.get("locust")
    if load:
        add(
            (
                f"Locust, {load['users']} users, {load['seconds']} s: requests/s, errors, p95",
                f"{load.get('rps', 0)} req/s, {load.get('failures', '?')} errors, p95 {load.get('p95_ms', 0):.0f} ms",
                "0 errors, p95 ≤ 500 ms",
                "met" if load.get("failures") == 0 and load.get("p95_ms", 1e9) <= 500 else "**not met**",
            )
        )
    return found


def table(results: dict) -> str:
    scale, box = results["scale"], results["machine"]
    lines = [
        f"### {scale['label']}: {scale['authorities']} authorities, {results.get('children', 0):,} children, "
        f"census years {scale['years']}",
        "",
        f"Run on {results['date']}, commit `{box['commit']}`, {box['cpus']} CPUs ({box['cpu']}), "
        f"{box['memory_mb']} MB memory, PostgreSQL {box['postgres']}, load average at the end "
        f"{box.get('load_average', '?')}. Command: `{results['command']}`. "
        f"Raw figures: `bench/results/{results['date']}-{scale['label']}.json`.",
        "",
        "| What | Measured | Target | |",
        "|---|---|---|---|",
        *(f"| {what} | {measured} | {target} | {met} |" for what, measured, target, met in rows(results)),
    ]
    return "\n".join(lines)


def write_doc(results: dict) -> None:
    label = results["scale"]["label"]
    block = f"<!-- bench:{label} -->\n{table(results)}\n<!-- /bench:{label} -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- bench:{re.escape(label)} -->.*?<!-- /bench:{re.escape(label)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    elif "<!-- bench:results -->" in text:
        text = text.replace("<!-- bench:results -->", f"<!-- bench:results -->\n\n{block}", 1)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
