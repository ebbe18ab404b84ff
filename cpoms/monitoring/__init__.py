"""The monitoring list: pupils the safeguarding team keeps watching without
keeping an entry open for it. Starts, reviews and ends are append-only events;
monitoring_states holds where each pupil stands now."""
