"""Pure domain rules of the service process.

Nothing in this package imports Textual, SQLAlchemy or sqlmodel: a test checks it.
"""
