"""Enrollment pages (ACT-3), included by ``activities/urls.py``."""

from django.urls import path

from zhiyuan.activities import views_enrollment as views

urlpatterns = [
    path("<int:activity_id>/enroll/", views.enroll_page, name="enroll"),
    path("my/enrollments/", views.my_enrollments, name="my_enrollments"),
    path("enrollments/<int:enrollment_id>/cancel/", views.enrollment_cancel, name="enrollment_cancel"),
    path("<int:activity_id>/enrollments/", views.enrollment_manage, name="enrollment_manage"),
    path("<int:activity_id>/enrollments/export.xlsx", views.enrollment_export, name="enrollment_export"),
    path(
        "<int:activity_id>/enrollments/<int:enrollment_id>/<str:decision>/",
        views.enrollment_decide,
        name="enrollment_decide",
    ),
]
