"""Pages of projects, activities, the activity square, enrollment and check-in. Each area keeps
its patterns in its own module (``urls_<area>.py``) and is included here."""

app_name = "activities"

urlpatterns: list = []
