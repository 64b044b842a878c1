from django.urls import path

from sikesal.integrations.sms import views

app_name = "sms"
urlpatterns = [
    path("", views.generic, name="webhook"),
    path("status/", views.generic_status, name="status"),
    path("twilio/", views.twilio, name="twilio"),
    path("twilio/status/", views.twilio_status, name="twilio_status"),
]
