"""The profile: a sub-feature of accounts (its rules in ``services``, its pages in ``views``)."""
