"""The policy: loading the one in force, tag names, templates, init."""
