from importlib.util import find_spec

from django.urls import include, path, re_path

from zhiyuan.volunteers import views

app_name = "volunteers"
urlpatterns = [
    path("register/", views.volunteer_register_view, name="register"),
    path("register/guardian/", views.register_guardian_partial, name="register_guardian"),
    path("privacy/", views.privacy_notice_view, name="privacy_notice"),
    path("me/", views.volunteer_profile, name="profile"),
    path("me/edit/", views.volunteer_profile_edit, name="profile_edit"),
    path("me/card/", views.volunteer_card, name="card"),
    path("me/card/qr/", views.volunteer_card_qr, name="card_qr"),
    path("me/photo/", views.volunteer_photo_upload, name="photo_upload"),
    path("me/privacy/", views.consent_manage, name="consents"),
    path("me/privacy/accept/", views.consent_accept_view, name="consent_accept"),
    path("me/privacy/withdraw/", views.consent_withdraw_view, name="consent_withdraw"),
    path("me/exit/", views.volunteer_exit_view, name="exit"),
    re_path(r"^me/export\.(?P<fmt>json|xlsx)$", views.my_data_download, name="my_data"),
    path("me/corrections/new/", views.correction_create, name="correction_create"),
    path("me/corrections/<int:request_id>/cancel/", views.correction_cancel, name="correction_cancel"),
    path("photo/<str:volunteer_no>/", views.volunteer_photo, name="photo"),
    path("card/verify/", views.card_verify, name="card_verify"),
    path("<int:volunteer_id>/reveal-id/", views.volunteer_reveal_id_partial, name="reveal_id"),
]

# Manager pages (list, search, import, export) are in urls_manage.py, owned alongside.
if find_spec("zhiyuan.volunteers.urls_manage") is not None:
    urlpatterns.append(path("manage/", include("zhiyuan.volunteers.urls_manage")))
