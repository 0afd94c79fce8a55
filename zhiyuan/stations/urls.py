from django.urls import path, re_path

from zhiyuan.stations import views

app_name = "stations"
urlpatterns = [
    path("", views.public_list, name="public"),
    path("mine/", views.my_station, name="mine"),
    path("mine/<int:point_id>/", views.my_station_edit, name="mine_edit"),
    path("manage/", views.service_point_list, name="manage"),
    re_path(r"^manage/export\.xlsx$", views.service_point_export, name="export"),
    path("manage/new/", views.service_point_create, name="create"),
    path("manage/operators/", views.operator_options, name="operator_options"),
    path("manage/<int:point_id>/", views.service_point_detail, name="detail"),
    path("manage/<int:point_id>/edit/", views.service_point_edit, name="edit"),
    path("manage/<int:point_id>/close/", views.service_point_close, name="close"),
    path("manage/<int:point_id>/reopen/", views.service_point_reopen, name="reopen"),
    path("manage/<int:point_id>/admins/", views.station_admin_assign, name="admin_assign"),
    path("manage/<int:point_id>/admins/<int:assignment_id>/revoke/", views.station_admin_revoke, name="admin_revoke"),
]
