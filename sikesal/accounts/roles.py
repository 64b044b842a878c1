"""The roles people and systems act in. The policy module decides what each may do."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen (reporter)")
    ADMIN = "admin", _("Admin koordinator")
    DESK_OFFICER = "desk_officer", _("Complaint desk officer")
    OPD_LIAISON = "opd_liaison", _("OPD liaison")
    OPD_OFFICER = "opd_officer", _("OPD officer")
    OPD_HEAD = "opd_head", _("OPD head")
    EXECUTIVE = "executive", _("Executive (Sekda)")
    OMBUDSMAN = "ombudsman", _("Ombudsman observer")
    DPO = "dpo", _("Data protection officer")
    SYSTEM = "system", _("System")


# Roles that belong to exactly one OPD.
OPD_ROLES = frozenset({Role.OPD_LIAISON, Role.OPD_OFFICER, Role.OPD_HEAD})
STAFF_ROLES = frozenset({Role.ADMIN, Role.DESK_OFFICER, Role.EXECUTIVE, Role.OMBUDSMAN, Role.DPO}) | OPD_ROLES


def belongs_to_one_opd(role):
    """The shape of an account, not an access decision: an OPD role names its OPD, no other role does."""
    return role in OPD_ROLES
