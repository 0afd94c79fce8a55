"""Pages of the hour ledger: a volunteer's hours and corrections, an organization's
confirmation queue, honour hours and correction queue."""

from django.urls import path

from zhiyuan.records import views

app_name = "records"

urlpatterns = [
    path("me/", views.my_hours, name="my_hours"),
    path("me/corrections/", views.my_corrections, name="my_corrections"),
    path("me/corrections/new/", views.correction_new, name="correction_new"),
    path("corrections/<int:correction_id>/evidence/", views.correction_evidence, name="correction_evidence"),
    path("org/", views.org_home, name="org_home"),
    path("org/<int:org_id>/queue/", views.org_queue, name="org_queue"),
    path("org/<int:org_id>/queue/confirm/", views.org_queue_bulk, name="org_queue_bulk"),
    path("org/<int:org_id>/entries/", views.org_entries, name="org_entries"),
    path("org/<int:org_id>/honour/", views.org_honour, name="org_honour"),
    path("org/<int:org_id>/corrections/", views.org_corrections, name="org_corrections"),
    path("attendances/<int:attendance_id>/decide/", views.attendance_decide, name="attendance_decide"),
    path("entries/<int:entry_id>/change/", views.entry_change, name="entry_change"),
    path("honour/<int:grant_id>/decide/", views.honour_decide, name="honour_decide"),
    path("corrections/<int:correction_id>/decide/", views.correction_decide, name="correction_decide"),
]
