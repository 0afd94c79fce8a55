from django.urls import path

from zhiyuan.core import export_views as views

app_name = "exports"
urlpatterns = [
    path("", views.export_job_list, name="list"),
    path("new/", views.export_job_start, name="start"),
    path("<int:job_id>/download/", views.export_job_file, name="download"),
]
