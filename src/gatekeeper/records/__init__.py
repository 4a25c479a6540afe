"""Release records: where they live, reading, writing, and what history says of them."""
