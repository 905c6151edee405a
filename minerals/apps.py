from django.apps import AppConfig


class MineralsConfig(AppConfig):
    name = "minerals"
    verbose_name = "Responsible minerals"
    default_auto_field = "django.db.models.BigAutoField"
