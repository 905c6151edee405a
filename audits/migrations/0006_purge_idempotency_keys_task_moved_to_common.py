"""The daily purge of idempotency keys (scheduled by ``0004``) is now the task
``common.tasks.purge_idempotency_keys``: point the schedule at it, and tell a running beat scheduler that
its schedule changed (what ``PeriodicTask.save()`` does through a signal, which ``update()`` skips)."""

from django.db import migrations
from django.utils import timezone

OLD = "audits.tasks.purge_idempotency_keys"
NEW = "common.tasks.purge_idempotency_keys"


def _rename(apps, *, old: str, new: str) -> None:
    if apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=old).update(task=new):
        apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )


def to_common(apps, schema_editor):
    _rename(apps, old=OLD, new=NEW)


def to_audits(apps, schema_editor):
    _rename(apps, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0005_idempotent_request_moved_to_common"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(to_common, to_audits)]
