from django.urls import path

from sikesal.integrations.mailbox import views

app_name = "mailbox"
urlpatterns = [path("", views.webhook, name="webhook")]
