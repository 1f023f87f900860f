"""The README and ``desk --help`` say the same: every command, no more, no less,
and the options the README's command table uses exist."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def desk_command() -> click.Group:
    """The ``desk`` script's click group, wherever pyproject says it lives."""
    target = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["desk"]
    module, _sep, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Every visible command (leaves of the tree), by its words (commands loaded
    when they run are listed by the group, not in ``group.commands``)."""
    out: dict[tuple[str, ...], click.Command] = {}
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        if isinstance(cmd, click.Group):
            out.update(commands(cmd, prefix + (name,)))
        else:
            out[prefix + (name,)] = cmd
    return out


def readme_rows() -> list[tuple[tuple[str, ...], str]]:
    """(command words, the whole row) of the README's command table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Commands", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        match = re.match(r"\| `desk ([^`]*)` \|", line)
        if not match:
            continue
        words = match.group(1).split()
        if words[:1] == ["--db"]:
            words = words[2:]
        rows.append((tuple(w for w in words if re.fullmatch(r"[a-z][a-z-]*", w)), line))
    return rows


def test_the_readme_lists_every_command_and_no_other():
    known = commands(desk_command())
    listed = set()
    for words, line in readme_rows():
        # the longest leading words that name a command; none: opening the app
        path = next((words[:n] for n in range(len(words), 0, -1) if words[:n] in known), ())
        assert path or not words, f"README names a command desk does not have: {line}"
        listed.add(path)
    assert () in listed, "the README's table has no row for opening the app"
    missing = sorted(" ".join(p) for p in set(known) - listed)
    assert not missing, f"desk commands missing from the README's command table: {missing}"


def test_every_readme_example_has_db_and_its_options_exist():
    group = desk_command()
    known = commands(group)
    root_options = {o for p in group.params for o in p.opts}
    for words, line in readme_rows():
        assert "`desk --db " in line, f"an example without --db: {line}"
        path = next((words[:n] for n in range(len(words), 0, -1) if words[:n] in known), ())
        options = root_options | ({o for p in known[path].params for o in p.opts} if path else set())
        used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
        assert used <= options, f"{line}: {sorted(used - options)} not options of desk {' '.join(path)}"


def test_import_help_names_what_the_readme_says_is_read():
    readme = README.read_text(encoding="utf-8")
    assert "UTF-16" in readme and "GB18030" in readme and "bar" in readme
    out = CliRunner().invoke(desk_command(), ["import", "customers", "--help"], terminal_width=100)
    text = " ".join(out.output.split())
    for word in ("UTF-8", "BOM", "UTF-16", "GBK", "GB18030", "comma", "semicolon", "tab", "bar"):
        assert word in text, f"import customers --help does not name {word}: {text}"


def test_the_shell_completion_the_readme_shows_completes_commands():
    """``eval "$(_DESK_COMPLETE=bash_source desk)"``: the script it loads, and the
    answers it then asks for, as bash asks them."""
    readme = README.read_text(encoding="utf-8")
    assert "_DESK_COMPLETE=bash_source desk" in readme and "_DESK_COMPLETE=zsh_source desk" in readme
    group = desk_command()
    script = CliRunner().invoke(group, [], prog_name="desk", env={"_DESK_COMPLETE": "bash_source"})
    assert "_desk_completion" in script.output, script.output
    words = CliRunner().invoke(
        group,
        [],
        prog_name="desk",
        env={"_DESK_COMPLETE": "bash_complete", "COMP_WORDS": "desk --db x.db pin-key ", "COMP_CWORD": "4"},
    )
    assert {"plain,export", "plain,import", "plain,upgrade"} <= set(words.output.split()), words.output
