"""A supplier's buyer is an active staff user in the Procurement role (``suppliers.models.ELIGIBLE_BUYER``):
the admin offers only them and model validation names anyone else. Existing buyers are left as they are; a
form that edits a supplier whose buyer is no longer eligible asks for another, and reminders skip them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BUYER = {
    "blank": True,
    "error_messages": {"invalid": "User %(value)s is not an active staff user in the Procurement role."},
    "help_text": "An active staff user in the Procurement role.",
    "limit_choices_to": models.Q(("groups__name", "Procurement"), ("is_active", True), ("is_staff", True)),
    "null": True,
    "to": settings.AUTH_USER_MODEL,
    "verbose_name": "responsible buyer",
}


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0005_supplier_suspension_review_flag"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalsupplier",
            name="buyer",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                **BUYER,
            ),
        ),
        migrations.AlterField(
            model_name="supplier",
            name="buyer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.SET_NULL, related_name="bought_suppliers", **BUYER
            ),
        ),
    ]
