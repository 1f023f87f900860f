"""Functional tests run on this machine's SQLite as it is: on a library with the
WAL-reset bug that is the rollback journal, the route users get (desk.store.db)."""
