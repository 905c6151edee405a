from django.urls import path

from common.views import private_file

urlpatterns = [
    path("<str:label>/<int:pk>/", private_file, name="private-file"),
]
