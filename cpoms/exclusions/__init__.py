"""Keeping a child's record from named staff: the safeguarding team excludes a member of
staff (a parent or relative of the child, someone named in a concern) from one pupil's
record, with a reason, and later ends it. Exclusions and their ends are append-only
events; the rule they make (the excluded person reads nothing about that pupil) is in
the policy core, cpoms/policy.py, which every list and single-record check asks."""
