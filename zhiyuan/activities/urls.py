"""Pages of projects, activities, the activity square, enrollment and check-in. Each area keeps
its patterns in its own module (``urls_<area>.py``) and is included here."""

from zhiyuan.activities.urls_attendance import urlpatterns as attendance_urls

app_name = "activities"

urlpatterns: list = []
urlpatterns += attendance_urls
