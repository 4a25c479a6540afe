"""Deciding: the checklist, the built-in gates, tags, status and receipts."""
