"""Pages of the activity square (ACT-2) and evaluation (ACT-6), included by ``activities/urls.py``."""

from django.urls import path

from zhiyuan.activities import views_square

urlpatterns = [
    path("square/", views_square.square, name="square"),
    path("square/<int:activity_id>/", views_square.square_detail, name="square_detail"),
    path("square/<int:activity_id>/feedback/", views_square.beneficiary_feedback, name="feedback"),
    path("<int:activity_id>/rate/", views_square.activity_rate, name="rate"),
    path("<int:activity_id>/evaluations/", views_square.activity_evaluations, name="evaluations"),
]
