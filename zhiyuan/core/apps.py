from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhiyuan.core"
    label = "core"
    verbose_name = "core"
