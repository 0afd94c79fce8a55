from django.urls import path

from zhiyuan.core import notification_views as views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("<int:notice_id>/", views.notification_open, name="open"),
    path("<int:notice_id>/read/", views.notification_read, name="read"),
]
