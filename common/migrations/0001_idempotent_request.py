"""``IdempotentRequest`` moves here from ``audits``, without touching the database.

The table ``audits_idempotentrequest`` already exists: ``audits/migrations/0001`` created it (on a new
database too), and the model keeps it through ``Meta.db_table``. This migration only adds the model to the
migration state; ``audits/migrations/0005`` removes it from the ``audits`` state the same way.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotentRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=255)),
                        ("method", models.CharField(max_length=10)),
                        ("path", models.CharField(max_length=500)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField(null=True)),
                        ("response_body", models.JSONField(null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "audits_idempotentrequest",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "key"), name="idempotency_unique_key_per_user"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
