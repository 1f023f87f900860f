"""Reusable widgets: checklist, stage bar, money table, dialogs."""
