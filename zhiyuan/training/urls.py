from django.urls import path

from zhiyuan.training import views

app_name = "training"

urlpatterns = [
    path("my/", views.my_training, name="my"),
    path("manage/", views.manage_home, name="manage"),
]
