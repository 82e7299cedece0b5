"""The tracker's terminal interface (Textual): the app, its screens and widgets."""
