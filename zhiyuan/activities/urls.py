"""Pages of projects, activities, the activity square, enrollment and check-in. Each area keeps
its patterns in its own module (``urls_<area>.py``) and is included here."""

from django.urls import include, path

app_name = "activities"

urlpatterns: list = [
    path("", include("zhiyuan.activities.urls_projects")),  # ACT-1 /activities/projects/
    path("", include("zhiyuan.activities.urls_manage")),  # ACT-2 organizer: /activities/manage/
]
