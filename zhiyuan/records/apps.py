from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "zhiyuan.records"
    label = "records"
    verbose_name = _("服务时长与记录")

    def ready(self):
        pass
