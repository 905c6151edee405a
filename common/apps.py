from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from common.history import fit_history_change_reason

        pre_create_historical_record.connect(
            fit_history_change_reason, dispatch_uid="common.fit_history_change_reason"
        )

        from django.contrib import admin

        from common.admin_jobs import ImportJobAdmin
        from common.models import ImportJob

        if not admin.site.is_registered(ImportJob):
            admin.site.register(ImportJob, ImportJobAdmin)
