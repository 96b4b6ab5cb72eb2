"""Accounts, password hashing (argon2id), login tokens and the permission matrix.

`lab.auth.permissions` is pure (role × action × resource and scope rules); `lab.auth.access` is the
store-access layer that gathers the facts, asks the matrix and writes the audit record.
"""
