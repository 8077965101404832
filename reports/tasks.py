"""Background jobs of the reports app. Each task is one call into a service and is safe to rerun:
a report is claimed before it is generated, and the quarterly job skips authorities that already
have their report."""

from celery import shared_task

from reports import services


@shared_task(name="reports.tasks.generate_report")
def generate_report(report_id: int) -> str:
    """Generate one requested report; returns its status ("" when it was not waiting)."""
    report = services.report_claim(report_id)
    if report is None:
        return ""
    return services.report_generate(report).status


@shared_task(name="reports.tasks.generate_quarterly_reports")
def generate_quarterly_reports() -> int:
    """After each quarter: a report per authority with values for the quarter that just ended;
    returns the number of reports made."""
    return len(services.reports_for_last_quarter())
