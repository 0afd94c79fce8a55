from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhiyuan.core"
    label = "core"
    verbose_name = "core"

    def ready(self):
        from zhiyuan.core import checks  # noqa: F401  (registers the system checks)
