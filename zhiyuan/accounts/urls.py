from django.urls import path

from zhiyuan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/totp/", views.login_totp, name="login_totp"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/setup/", views.totp_setup, name="totp_setup"),
    path("settings/", views.account_settings, name="settings"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.api_token_revoke, name="token_revoke"),
    path("roles/", views.role_list, name="roles"),
    path("roles/export/", views.role_export, name="role_export"),
    path("roles/grant/", views.role_grant, name="role_grant"),
    path("roles/grant/objects/", views.role_object_options, name="role_objects"),
    path("roles/<int:assignment_id>/", views.role_detail, name="role_detail"),
    path("roles/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify_view, name="audit_verify"),
]
