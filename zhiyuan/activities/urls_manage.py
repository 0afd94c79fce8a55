"""The organizer's activity pages (ACT-2), under /activities/manage/ (the ``activities`` namespace)."""

from django.urls import path, re_path

from zhiyuan.activities import views_manage as views

urlpatterns = [
    path("manage/", views.manage_list, name="manage_list"),
    re_path(r"^manage/export\.xlsx$", views.manage_export, name="manage_export"),
    path("manage/new/", views.activity_create, name="manage_create"),
    path("manage/<int:activity_id>/", views.manage_detail, name="manage_detail"),
    path("manage/<int:activity_id>/edit/", views.activity_edit, name="manage_edit"),
    path("manage/<int:activity_id>/<slug:action>/", views.activity_action, name="manage_action"),
]
