from django.urls import include, path

from . import views
from .applications import urls as application_urls

app_name = "appeals"

urlpatterns = [
    path("appeals/", views.appeal_list, name="list"),
    path("appeals/new/", views.appeal_new, name="new"),
    path("appeals/<uuid:public_id>/", views.appeal_detail, name="detail"),
    path("appeals/<uuid:public_id>/reopen/", views.appeal_reopen, name="reopen"),
    path("appeals/files/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("support/question/", views.support_question, name="support_question"),
    path("", include(application_urls)),
]
