"""Multi-literal matching: what the detect stage scans each field with, once per field.

:mod:`lwsyslog.matching.literals` derives from a rule's regular expression the literal text
every match must contain; :mod:`lwsyslog.matching.scanner` finds which of many literals occur
in a text in one linear pass (Hyperscan, or a pure ``re`` fallback);
:mod:`lwsyslog.matching.fold` is the case folding both sides share.
"""
