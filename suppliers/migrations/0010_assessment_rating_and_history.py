# Assessments record the band or medal the scheme gives (``rating``) and keep their history (who changed what,
# from which import file and row).

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0009_agreement_texts_and_online_signing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="externalassessment",
            name="rating",
            field=models.CharField(
                blank=True,
                help_text='The band or medal the scheme gives, e.g. "gold" (EcoVadis: platinum, gold, silver, bronze) or the VAP band ("high performer").',
                max_length=30,
            ),
        ),
        migrations.CreateModel(
            name="HistoricalExternalAssessment",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("rba_vap", "RBA Validated Assessment (VAP)"),
                            ("rba_saq", "RBA Self-Assessment Questionnaire"),
                            ("ecovadis", "EcoVadis rating"),
                            ("other", "Other rating"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "scheme",
                    models.CharField(blank=True, help_text="Name of the scheme for 'other'.", max_length=100),
                ),
                (
                    "score",
                    models.DecimalField(
                        decimal_places=1,
                        max_digits=6,
                        validators=[django.core.validators.MinValueValidator(0)],
                    ),
                ),
                (
                    "scale_max",
                    models.DecimalField(
                        decimal_places=1,
                        default=Decimal("200"),
                        help_text="Highest possible score on this scheme (200 for a VAP, 100 for EcoVadis).",
                        max_digits=6,
                    ),
                ),
                ("assessed_on", models.DateField()),
                ("valid_until", models.DateField(blank=True, null=True)),
                (
                    "rating",
                    models.CharField(
                        blank=True,
                        help_text='The band or medal the scheme gives, e.g. "gold" (EcoVadis: platinum, gold, silver, bronze) or the VAP band ("high performer").',
                        max_length=30,
                    ),
                ),
                ("reference", models.CharField(blank=True, max_length=100)),
                ("file", models.TextField(blank=True, max_length=255)),
                ("created_at", models.DateTimeField(blank=True, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "supplier",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="suppliers.supplier",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical external assessment",
                "verbose_name_plural": "historical external assessments",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
