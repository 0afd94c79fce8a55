from django.urls import path

from zhiyuan.training import views

app_name = "training"

urlpatterns = [
    path("my/", views.my_training, name="my"),
    path("sessions/<int:session_id>/enroll/", views.session_enroll, name="session_enroll"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/evaluate/", views.session_evaluate, name="session_evaluate"),
    path("courses/<int:course_id>/", views.course_detail, name="course"),
    path("courses/<int:course_id>/quiz/", views.quiz_start, name="quiz_start"),
    path("quiz/<int:attempt_id>/", views.quiz_take, name="quiz"),
    path("certificates/<int:certificate_id>/", views.certificate_detail, name="certificate"),
    path("qualifications/new/", views.qualification_create, name="qualification_create"),
    path("qualifications/<int:qualification_id>/evidence/", views.qualification_evidence, name="qualification_evidence"),
    path("manage/", views.manage_home, name="manage"),
    path("manage/courses/new/", views.course_create, name="course_create"),
    path("manage/courses/<int:course_id>/", views.course_manage, name="course_manage"),
    path("manage/courses/<int:course_id>/import/", views.course_records_import, name="course_records_import"),
    path("manage/sessions/", views.manage_sessions, name="manage_sessions"),
    path("manage/sessions/new/", views.session_create, name="session_create"),
    path("manage/sessions/<int:session_id>/", views.session_manage, name="session_manage"),
    path("manage/records/", views.manage_records, name="manage_records"),
    path("manage/records/export.xlsx", views.manage_records_export, name="manage_records_export"),
    *(
        p
        for kind, plural in (("trainer", "trainers"), ("base", "bases"))
        for p in (
            path(f"manage/{plural}/", views.certified_list, {"kind": kind}, name=plural),
            path(f"manage/{plural}/export.xlsx", views.certified_export, {"kind": kind}, name=f"{plural}_export"),
            path(f"manage/{plural}/new/", views.certified_create, {"kind": kind}, name=f"{kind}_create"),
            path(f"manage/{plural}/<int:obj_id>/", views.certified_edit, {"kind": kind}, name=f"{kind}_edit"),
        )
    ),
    path("manage/organizations/", views.organization_options, name="organization_options"),
    path("manage/qualifications/", views.manage_qualifications, name="manage_qualifications"),
    path("manage/qualifications/<int:qualification_id>/", views.qualification_review, name="qualification_review"),
]
