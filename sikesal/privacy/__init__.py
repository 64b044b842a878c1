"""Personal data as UU PDP (UU 27/2022) asks: the data subject's rights, retention and the DPO's tools.

docs/privacy.md describes the data classes, where each lives, who may see it and how long it is kept.
"""
