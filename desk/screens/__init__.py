"""One screen per file. Only desk.app imports this package."""
