from django.urls import path, re_path

from zhiyuan.insurance import views

app_name = "insurance"
urlpatterns = [
    path("", views.policy_list, name="list"),
    re_path(r"^export\.xlsx$", views.policy_export, name="export"),
    path("new/", views.policy_create, name="create"),
    path("check/", views.cover_check, name="check"),
    path("organizations/", views.holder_options, name="holder_options"),
    re_path(r"^list-template\.xlsx$", views.list_template, name="list_template"),
    path("<int:policy_id>/", views.policy_detail, name="detail"),
    path("<int:policy_id>/cancel/", views.policy_cancel, name="cancel"),
    path("<int:policy_id>/document/", views.policy_document, name="document"),
    path("<int:policy_id>/import/", views.insured_import, name="import"),
    re_path(r"^(?P<policy_id>[0-9]+)/insured\.xlsx$", views.insured_export, name="insured_export"),
    path("<int:policy_id>/insured/<int:person_id>/remove/", views.insured_remove, name="insured_remove"),
]
