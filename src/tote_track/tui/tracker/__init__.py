"""The tracker: one order, live, in the terminal."""
