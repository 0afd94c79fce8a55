"""Pages of the project library (ACT-1), under /activities/projects/ (the ``activities`` namespace)."""

from django.urls import path, re_path

from zhiyuan.activities import views_projects as views

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    re_path(r"^projects/export\.xlsx$", views.project_export, name="project_export"),
    path("projects/review/", views.project_review_queue, name="project_review"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path(
        "projects/<int:project_id>/<slug:action>/",
        views.project_action,
        name="project_action",
    ),
]
