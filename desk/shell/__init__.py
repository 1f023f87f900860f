"""The Textual app: ``app.py`` first (its keys and areas), then what it holds."""
