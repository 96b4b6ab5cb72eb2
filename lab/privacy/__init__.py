"""Consent, retention and purge, and one learner's export and deletion (PIPL Art. 29, 31, 47)."""
