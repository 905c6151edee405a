from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits and corrective action"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.importing import register_importer
        from suppliers import seams

        from .importing import import_audits, import_template
        from .selectors import audit_facts_for_suppliers

        seams.register_audit_facts(audit_facts_for_suppliers)
        register_importer("audits", import_audits, import_template)
