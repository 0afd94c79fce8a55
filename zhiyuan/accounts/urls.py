from django.urls import path

from zhiyuan.accounts import recovery_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/totp/", views.login_totp, name="login_totp"),
    path("logout/", views.logout_view, name="logout"),
    path("recover/", recovery_views.recover_start, name="recover"),
    path("recover/reset/", recovery_views.recover_reset, name="recover_reset"),
    path("help/", recovery_views.account_help, name="account_help"),
    path("help/<int:user_id>/", recovery_views.account_help_detail, name="account_help_detail"),
    path("help/<int:user_id>/<slug:action>/", recovery_views.account_help_action, name="account_help_action"),
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
