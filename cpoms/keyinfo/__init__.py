"""Key information on a pupil: the statutory facts that change how a concern is read
(a child protection plan, looked-after, Early Help...), each a dated period the
safeguarding team records and ends; and police notifications (Operation Encompass),
which only the team records and reads. Neither is an entry: no list, search or export
of entries can carry them to a reader who is not allowed them."""
