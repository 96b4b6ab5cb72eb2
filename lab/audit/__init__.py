"""The audit log: every view, export and deletion of personal data and every permission change,
appended to a hash-chained table (`lab.audit.chain`)."""
