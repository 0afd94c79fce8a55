"""Manager pages, mounted at /volunteers/manage/ by ``volunteers/urls.py``."""

from django.urls import path

from zhiyuan.volunteers import views_manage as views

app_name = "volunteers_manage"
urlpatterns = [
    path("", views.volunteer_manage_list, name="list"),
    path("export.xlsx", views.volunteer_manage_export, name="export"),
    path("import/", views.volunteer_import, name="import"),
    path("import/template.xlsx", views.volunteer_import_template, name="import_template"),
    path("import/jobs/", views.volunteer_import_jobs, name="import_jobs"),
    path("import/jobs/<int:job_id>/", views.volunteer_import_job, name="import_job"),
    path("import/jobs/<int:job_id>/report.xlsx", views.volunteer_import_job_report, name="import_job_report"),
    path("<int:volunteer_id>/", views.volunteer_manage_detail, name="detail"),
    path("<int:volunteer_id>/status/", views.volunteer_manage_status, name="status"),
]
