from django.urls import path

from sikesal.integrations.whatsapp import views

app_name = "whatsapp"
urlpatterns = [path("", views.webhook, name="webhook")]
