from sikesal.api.v1.api import api

app_name = "api_v1"
urlpatterns = [*api.urls[0]]
