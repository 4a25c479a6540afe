"""Strict models of the policy and release record files."""
