"""Celery tasks of the reports: thin wrappers around ``reports.selectors``."""

from celery import shared_task
from django.utils import timezone

from . import selectors


@shared_task(name="reports.tasks.freeze_last_year")
def freeze_last_year() -> int:
    """Daily: freeze last year's supplier figures, so the first report or dashboard of the new year need not
    work them out. Returns the year's number of production suppliers; a frozen year costs one query."""
    year = timezone.localdate().year - 1
    return selectors.year_end(selectors.report_period(year=year)).production_suppliers
