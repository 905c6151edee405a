"""``IdempotentRequest`` now lives in ``common`` (``common/migrations/0001``): remove it from the ``audits``
migration state only. The table ``audits_idempotentrequest`` and its rows stay where they are.

The model's content type moves along, so permissions given on it and admin log entries keep pointing at it.
"""

from django.db import IntegrityError, migrations, transaction


def _move_content_type(apps, schema_editor, *, from_app: str, to_app: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    try:
        with transaction.atomic(using=db):
            ContentType.objects.using(db).filter(app_label=from_app, model="idempotentrequest").update(
                app_label=to_app
            )
    except IntegrityError:
        # The other app's content type exists already; the old one is stale (``remove_stale_contenttypes``).
        pass


def content_type_to_common(apps, schema_editor):
    _move_content_type(apps, schema_editor, from_app="audits", to_app="common")


def content_type_to_audits(apps, schema_editor):
    _move_content_type(apps, schema_editor, from_app="common", to_app="audits")


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0004_purge_idempotency_keys_schedule"),
        ("common", "0001_idempotent_request"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotentRequest")],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_common, content_type_to_audits),
    ]
