from django.urls import re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from sikesal.api.v1.api import api, problem

app_name = "api_v1"


@csrf_exempt
def unknown(request, rest=""):
    """Any other path under /api/v1/: the API's own small problem document, not the portal's page."""
    return problem(request, 404, "not_found", _("No such API resource."))


urlpatterns = [*api.urls[0], re_path(r"^(?P<rest>.*)$", unknown)]
