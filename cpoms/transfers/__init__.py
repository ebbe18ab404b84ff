"""Child-protection file transfers when a pupil leaves, and subject-access exports."""
