"""Concerns about adults who work with children (KCSIE part 4): staff, supply staff,
volunteers, contractors and visitors. Anyone who logs concerns about pupils may raise
one; only the case manager reads it (adults/policy.py), never a person it names. Kept
apart from pupils' records: their own tables, pages, audit actions and alerts."""
