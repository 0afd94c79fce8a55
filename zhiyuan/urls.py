from django.urls import include, path

from zhiyuan.api import api
from zhiyuan.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path(".well-known/zhiyuan-keys.json", core_views.public_keys, name="public_keys"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("accounts/", include("zhiyuan.accounts.urls")),
    path("regions/", include("zhiyuan.regions.urls")),
    path("volunteers/", include("zhiyuan.volunteers.urls")),
    path("organizations/", include("zhiyuan.organizations.urls")),
    path("stations/", include("zhiyuan.stations.urls")),
    path("insurance/", include("zhiyuan.insurance.urls")),
    path("training/", include("zhiyuan.training.urls")),
    path("activities/", include("zhiyuan.activities.urls")),
    path("records/", include("zhiyuan.records.urls")),
    path("exports/", include("zhiyuan.core.export_urls")),
    path("notifications/", include("zhiyuan.core.notification_urls")),
]
