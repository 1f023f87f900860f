"""desk — a keyboard-driven service desk that enforces the Moments of Truth."""

__version__ = "0.1.0"

#: The name of desk's distribution on the package index (the command and the
#: package stay ``desk``: the name desk there belongs to an unrelated project).
DISTRIBUTION = "mot-service-desk"
