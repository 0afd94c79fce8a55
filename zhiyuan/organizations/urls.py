from django.urls import path, re_path
from django.views.generic import RedirectView

from zhiyuan.organizations import views

app_name = "organizations"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="organizations:directory", permanent=False)),
    path("directory/", views.directory, name="directory"),
    path("directory/<int:org_id>/", views.profile, name="profile"),
    path("directory/<int:org_id>/join/", views.organization_join, name="join"),
    path("apply/", views.organization_apply, name="apply"),
    path("my/", views.my_organizations, name="my"),
    path("my/<int:membership_id>/leave/", views.membership_leave, name="leave"),
    path("my/<int:membership_id>/respond/", views.membership_respond, name="respond"),
    path("mine/", views.admin_organizations, name="mine"),
    path("manage/", views.organization_list, name="manage"),
    re_path(r"^manage/export\.xlsx$", views.organization_export, name="export"),
    path("manage/review/", views.review_queue, name="review"),
    path("manage/<int:org_id>/", views.organization_detail, name="detail"),
    path("manage/<int:org_id>/edit/", views.organization_edit, name="edit"),
    path("manage/<int:org_id>/review/", views.organization_review, name="review_org"),
    path("manage/<int:org_id>/status/", views.organization_status, name="status"),
    re_path(r"^manage/(?P<org_id>[0-9]+)/members/export\.xlsx$", views.member_export, name="member_export"),
    path("manage/<int:org_id>/members/invite/", views.member_invite, name="member_invite"),
    re_path(
        r"^manage/(?P<org_id>[0-9]+)/members/(?P<membership_id>[0-9]+)/(?P<action>approve|reject|remove|role)/$",
        views.member_action,
        name="member_action",
    ),
]
