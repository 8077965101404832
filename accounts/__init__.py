"""Authorities, teams, users and their memberships, and the one place that decides access.

Every tenant-owned row belongs to an ``Authority`` (an English local authority, identified by its
DfE three-digit number). People belong to authorities through ``Membership`` rows that carry a
role; ``accounts.access`` turns memberships into answers to "may this user see or do this?".
"""
