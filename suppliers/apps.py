from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "suppliers"
    verbose_name = "Supplier register"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from common.importing import register_importer

        from .importing import agreements, assessments, import_suppliers, lifecycle, suppliers_template

        # By name, for background import jobs and the benchmark (``common.importing``).
        register_importer("suppliers", import_suppliers, suppliers_template)
        register_importer("agreements", agreements.import_agreements, agreements.agreements_template)
        register_importer("assessments", assessments.import_assessments, assessments.assessments_template)
        register_importer("lifecycle", lifecycle.import_lifecycle, lifecycle.template)
