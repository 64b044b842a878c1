"""REST API v1 (being built)."""

app_name = "api_v1"
urlpatterns = []
