"""Applications (a contract, guide 003; a grid connection, guide 001): their pages.

A new application and its draft share a name: ``application_contract`` and ``application_grid``
without ``public_id`` start one, with it change the draft."""

from django.urls import path

from . import views

urlpatterns = [
    path("applications/", views.application_list, name="applications"),
    path("applications/contract/", views.application_contract, name="application_contract"),
    path("applications/<uuid:public_id>/contract/", views.application_contract, name="application_contract"),
    path("applications/grid/", views.application_grid, name="application_grid"),
    path("applications/<uuid:public_id>/grid/", views.application_grid, name="application_grid"),
    path("applications/<uuid:public_id>/documents/", views.application_documents, name="application_documents"),
    path("applications/<uuid:public_id>/submit/", views.application_submit, name="application_submit"),
]
