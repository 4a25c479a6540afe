"""One module per output format; all printing of results lives here."""
