from django.urls import path

from sikesal.integrations.sms import views

app_name = "sms"
urlpatterns = [path("", views.generic, name="webhook"), path("twilio/", views.twilio, name="twilio")]
