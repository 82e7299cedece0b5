"""The terminal interfaces (Textual): the tracker and the store board, one folder each."""
