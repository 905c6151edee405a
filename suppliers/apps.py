from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "suppliers"
    verbose_name = "Supplier register"
    default_auto_field = "django.db.models.BigAutoField"
