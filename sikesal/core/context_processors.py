"""What every template may ask the access policy: `may.manage_sync`, `may.act_as_ombudsman`, … Templates
never compare roles themselves."""

from sikesal.complaints.policy import PageDecisions


def may(request):
    # request.user stays lazy until a template asks a question: public pages load no user for this
    return {"may": PageDecisions(getattr(request, "user", None))}
