from django.contrib import admin
from django.urls import include, path

from sikesal.core import views as core_views

urlpatterns = [
    path("healthz", core_views.health, name="health"),
    # The platforms' webhooks first: the URLs called most, hundreds a second in a burst, resolved at once.
    path("webhooks/whatsapp/", include("sikesal.integrations.whatsapp.urls")),
    path("webhooks/sms/", include("sikesal.integrations.sms.urls")),
    path("webhooks/email/", include("sikesal.integrations.mailbox.urls")),
    path("favicon.ico", core_views.favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("kantor/privasi/", include("sikesal.privacy.urls_office")),
    path("kantor/", include("sikesal.backoffice.urls")),
    path("ombudsman/", include("sikesal.integrations.ombudsman.urls")),
    path("open311/v2/", include("sikesal.api.open311.urls")),
    path("api/v1/", include("sikesal.api.v1.urls")),
    path("", include("sikesal.privacy.urls")),
    path("", include("sikesal.portal.urls")),
]
