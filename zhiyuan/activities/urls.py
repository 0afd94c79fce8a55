"""Pages of projects, activities, the activity square, enrollment and check-in. Each area keeps
its patterns in its own module (``urls_<area>.py``) and is included here."""

from zhiyuan.activities import urls_enrollment

app_name = "activities"

urlpatterns: list = []
urlpatterns += urls_enrollment.urlpatterns
