"""Who really signed, and the rules that decide whether a record counts."""
