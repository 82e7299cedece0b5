"""tote-track: follow a Tote online order from your terminal."""

__version__ = "0.1.0"
