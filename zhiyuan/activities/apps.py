from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "zhiyuan.activities"
    label = "activities"
    verbose_name = _("志愿服务项目与活动")

    def ready(self):
        from zhiyuan.activities import enrollment_setup

        enrollment_setup.ready()
