"""One screen per file. Only the shell (desk.shell) imports this package."""
