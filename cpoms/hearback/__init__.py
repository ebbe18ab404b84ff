"""The person who logged a concern hears what happened to it: a list of what they logged
and where each stands, an email and a line on their home page when the team has reviewed
it, and short messages from the team. None of it shows the record's text, so it reaches
staff who have not set up two-factor sign-in (policy.RECORDED_STATE)."""
