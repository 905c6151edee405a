"""Celery tasks of the register: thin wrappers around ``suppliers.risk``. They take ids, never objects,
and are idempotent: running one twice stores nothing new when nothing changed."""

from celery import shared_task

from . import risk


@shared_task(name="suppliers.tasks.refresh_all_risk")
def refresh_all_risk() -> int:
    """Nightly: reassess every supplier in batches."""
    return risk.risk_refresh()


@shared_task(name="suppliers.tasks.refresh_risk")
def refresh_risk(supplier_ids: list[int]) -> int:
    """Reassess some suppliers after their inputs changed."""
    return risk.risk_refresh(supplier_ids=supplier_ids)


def schedule_risk_refresh(supplier_ids: list[int]) -> None:
    """Enqueue a reassessment once the current transaction commits."""
    if supplier_ids:
        refresh_risk.delay_on_commit(list(supplier_ids))
