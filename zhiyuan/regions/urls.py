from django.urls import path

from zhiyuan.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.region_browse, name="browse"),
    path("export.xlsx", views.region_export, name="export"),
    path("go/", views.region_jump, name="jump"),
    path("options/", views.region_options, name="options"),
    path("cascade/", views.region_cascade, name="cascade"),
    path("population/upload/", views.population_upload, name="population_upload"),
    path("population/template.xlsx", views.population_template, name="population_template"),
    path("<str:code>/", views.region_browse, name="browse_region"),
    path("<str:code>/export.xlsx", views.region_export, name="export_region"),
]
