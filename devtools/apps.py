from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tools: demo data, benchmarks and the CMRT command-line parser. Nothing in the product
    imports this app; production leaves it out with ``DJANGO_DEV_TOOLS=false``."""

    name = "devtools"
    verbose_name = "Development tools"
