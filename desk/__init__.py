"""desk — a keyboard-driven service desk that enforces the Moments of Truth."""

__version__ = "0.1.0"
