"""The citizen's choice to take an unresolved report to the Ombudsman (UU 37/2008), and oversight."""
