"""The scheduled jobs exist as editable database entries, and each names a task the worker knows."""

import pytest
from django_celery_beat.models import PeriodicTask

from config.celery import app

# Runs with the transactional tests (those that drive the worker and the browser), so it restores the
# migrated data (the seeded schedule) at its start like them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = dict(PeriodicTask.objects.values_list("name", "task"))

    assert {
        "Nightly risk refresh",
        "Daily reminders and escalation",
        "Retry failed reminder digests",
        "Purge old idempotency keys",
        "Freeze last year's report figures",
    } <= set(scheduled)
    for name, task in scheduled.items():
        assert task in app.tasks, f"{name}: {task} is not a registered task"


def test_the_purge_forgets_keys_older_than_a_day():
    import datetime as dt

    from django.utils import timezone

    from common.models import IdempotentRequest
    from common.tasks import purge_old_idempotency_keys
    from tests.factories import UserFactory

    user = UserFactory()
    old = IdempotentRequest.objects.create(
        user=user,
        key="old",
        method="POST",
        path="/x",
        request_hash="h",
        created_at=timezone.now() - dt.timedelta(days=2),
    )
    fresh = IdempotentRequest.objects.create(user=user, key="new", method="POST", path="/x", request_hash="h")

    assert purge_old_idempotency_keys.delay().get() == 1
    assert not IdempotentRequest.objects.filter(pk=old.pk).exists()
    assert IdempotentRequest.objects.filter(pk=fresh.pk).exists()
