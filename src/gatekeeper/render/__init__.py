"""One module per output format; all printing of results lives here."""


def count(n: int, one: str, many: str) -> str:
    """`1 anomaly`, `2 anomalies`."""
    return f"{n} {one if n == 1 else many}"
