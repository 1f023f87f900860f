"""The list-screen base: a subclass without its rows is refused when declared."""

from __future__ import annotations

import pytest


def test_a_list_screen_without_its_rows_is_refused_when_declared():
    from desk.screens.listing import ListScreen

    with pytest.raises(TypeError, match="fetch and cells"):
        type("Rowless", (ListScreen,), {})
    with pytest.raises(TypeError, match="cells"):
        type("Cellless", (ListScreen,), {"fetch": lambda self: []})
    assert type("Whole", (ListScreen,), {"fetch": lambda self: [], "cells": lambda self, row: ()})
