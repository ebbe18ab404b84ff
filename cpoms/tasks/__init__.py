"""Tasks given on an entry to a member of staff: their home page, completing them,
reminders by email, and the overdue count in the reports."""
