from django.urls import path, re_path

from sikesal.api.open311 import edge, views

app_name = "open311"

urlpatterns = [
    path("discovery.<str:fmt>", views.discovery, name="discovery"),
    path("services.<str:fmt>", views.services, name="services"),
    path("services/<str:code>.<str:fmt>", views.service_definition, name="service"),
    path("requests.<str:fmt>", views.requests_view, name="requests"),
    path("requests/<str:tracking>.<str:fmt>", views.request_detail, name="request"),
    path("tokens/<str:token>.<str:fmt>", views.token, name="token"),
    path("servicerequestupdates.<str:fmt>", views.updates, name="updates"),
    # Anything else, including ".../v2//services.xml" from a client that joins with a slash: never HTML.
    re_path(r"^(?P<rest>.*)$", edge.unknown, name="unknown"),
]
