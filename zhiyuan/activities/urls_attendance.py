"""Pages of check-in and check-out (ACT-4): the organizer's screen and e-card scanner per shift,
the volunteer's scan page."""

from django.urls import path

from zhiyuan.activities import views_attendance as views

urlpatterns = [
    path("attendance/scan/", views.attendance_scan, name="attendance_scan"),
    path("attendance/shifts/<int:shift_id>/", views.attendance_screen, name="attendance_screen"),
    path("attendance/shifts/<int:shift_id>/session/", views.attendance_session, name="attendance_session"),
    path("attendance/shifts/<int:shift_id>/list/", views.attendance_list, name="attendance_list"),
    path("attendance/shifts/<int:shift_id>/manual/", views.attendance_manual, name="attendance_manual"),
    path("attendance/shifts/<int:shift_id>/ecard/", views.attendance_ecard, name="attendance_ecard"),
]
