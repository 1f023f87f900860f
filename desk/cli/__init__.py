"""The ``desk`` command's sub-commands, one module per group; ``desk/__main__.py``
builds the group and loads a module only when its command runs."""
