"""Pages of projects, activities, the activity square, enrollment and check-in. Each area keeps
its patterns in its own module (``urls_<area>.py``) and is included here."""

from django.urls import include, path

from zhiyuan.activities import urls_enrollment, urls_square
from zhiyuan.activities.urls_attendance import urlpatterns as attendance_urls

app_name = "activities"

urlpatterns: list = [
    path("", include("zhiyuan.activities.urls_projects")),  # ACT-1 /activities/projects/
    path("", include("zhiyuan.activities.urls_manage")),  # ACT-2 organizer: /activities/manage/
]
urlpatterns += urls_square.urlpatterns  # ACT-2 the square, ACT-6 evaluation
urlpatterns += urls_enrollment.urlpatterns  # ACT-3 enrollment
urlpatterns += attendance_urls  # ACT-4, ACT-5 check-in and check-out
