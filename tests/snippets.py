"""Policy gates the attack tests share (TOML, appended to the test policy)."""

EMERGENCY_LEADERSHIP = """
[[gates]]
id = "leadership"
type = "approval"
roles = ["leadership"]
min_each = 1
when = { risk = ["major"] }

[emergency]
roles = ["ops"]
min = 1
retro_hours = 48
"""

OBLIGATIONS = """
[[gates]]
id = "obligations"
type = "obligations"
scope = "all"
"""

POST_CHECK_GATE = """
[[gates]]
id = "post-check"
type = "evidence"
kind = "post-check"
stage = "post-release"
due_hours = 48
"""

POST_CHECK = POST_CHECK_GATE + OBLIGATIONS
