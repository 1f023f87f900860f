"""Backups named by the database they belong to, rotated (the ones before a
migration too), never a temporary file left behind, and a sentence for every
fault: not a database, a folder that does not exist, a read-only folder, a full
disk (a small tmpfs when this machine can mount one, as root can; otherwise
OSError(ENOSPC) injected into the copy)."""

from __future__ import annotations

import errno
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from desk.domain.errors import StoreUnavailable
from desk.services import open_desk
from desk.store import backup as backups
from desk.store.backup import backup, backups_for, daily_backup, pre_migration_backup
from tests.reliability.test_crash_and_corruption import NOW, seed
from tests.reliability.test_store_failures import CAN_MOUNT, tmpfs


def _shop(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    seed(url)
    return url


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part") or ".part" in p.name)


def test_two_files_of_the_same_name_keep_their_own_backups(tmp_path):
    one = _shop(tmp_path / "front" / "demo.db")
    two = _shop(tmp_path / "workshop" / "demo.db")
    folder = tmp_path / "backups"
    a = daily_backup(one, folder, today=datetime(2026, 11, 23))
    b = daily_backup(two, folder, today=datetime(2026, 11, 23))
    assert a and b and a != b  # the second is not "already done today"
    assert backups_for(one, folder) == [a] and backups_for(two, folder) == [b]
    assert a.name.startswith("demo-") and backups.identity(tmp_path / "front" / "demo.db") in a.name


def test_a_damaged_file_still_finds_its_backups(tmp_path):
    path = tmp_path / "shop.db"
    url = _shop(path)
    folder = tmp_path / "backups"
    folder.mkdir()
    made = backup(url, folder)
    data = bytearray(path.read_bytes())
    data[100 : len(data)] = b"\xa5" * (len(data) - 100)  # nothing after the header is readable
    path.write_bytes(bytes(data))
    assert backups_for(url, folder) == [made]


def test_daily_and_pre_migration_backups_are_rotated(tmp_path):
    url = _shop(tmp_path / "shop.db")
    folder = tmp_path / "backups"
    for day in range(1, 8):
        daily_backup(url, folder, today=datetime(2026, 11, day), keep=3)
    for n in range(7):
        pre_migration_backup(url, f"000{n}", folder, keep=2)
    names = sorted(p.name for p in folder.glob("*.db"))
    dailies = [n for n in names if "-daily-" in n]
    before = [n for n in names if "-before-" in n]
    assert [d[-11:-3] for d in dailies] == ["20261105", "20261106", "20261107"]
    assert len(before) == 2 and any("before-0006" in n for n in before)


def test_opening_an_old_schema_takes_a_rotated_backup_first(tmp_path, monkeypatch):
    from desk.store.db import make_engine, upgrade

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0004_shop_setup")
    engine.dispose()
    open_desk(f"sqlite:///{path}", clock=lambda: NOW).ctx.engine.dispose()
    made = list((tmp_path / "data" / "backups").glob("old-*-before-0004_shop_setup-*.db"))
    assert len(made) == 1


def test_a_failed_backup_leaves_nothing_behind(tmp_path, monkeypatch):
    url = _shop(tmp_path / "shop.db")
    folder = tmp_path / "backups"
    folder.mkdir()

    def broken(path):
        raise StoreUnavailable("The backup {path} failed its integrity check", {"path": str(path)})

    monkeypatch.setattr(backups, "verify", broken)
    with pytest.raises(StoreUnavailable, match="integrity"):
        backup(url, folder)
    assert list(folder.iterdir()) == []


def test_sentences_for_a_non_database_a_missing_or_read_only_folder(tmp_path):
    url = _shop(tmp_path / "shop.db")
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StoreUnavailable, match="not a desk database .not a SQLite file.: nothing was backed up"):
        backup(f"sqlite:///{junk}", tmp_path)
    with pytest.raises(StoreUnavailable, match="0 bytes"):
        backup(f"sqlite:///{empty}", tmp_path)
    with pytest.raises(StoreUnavailable, match="There is no database"):
        backup(f"sqlite:///{tmp_path / 'none.db'}", tmp_path)
    with pytest.raises(StoreUnavailable, match="The backup folder does not exist"):
        backup(url, tmp_path / "nowhere" / "copy.db")
    if CAN_MOUNT:  # root writes anywhere: only a read-only mount is read-only for it
        with tmpfs(tmp_path / "ro", "1m") as ro:
            os.system(f"mount -o remount,ro {ro}")
            with pytest.raises(StoreUnavailable, match="read-only"):
                backup(url, ro)
    elif os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            with pytest.raises(StoreUnavailable, match="read-only"):
                backup(url, ro)
        finally:
            ro.chmod(0o755)
    else:
        pytest.fail("root without mount(8): no read-only folder can be made here", pytrace=False)


def test_a_backup_from_a_read_only_folder_works(tmp_path):
    if not CAN_MOUNT:
        pytest.fail("needs a mount to make a read-only folder for root", pytrace=False)
    src = tmp_path / "shop.db"
    url = _shop(src)
    with tmpfs(tmp_path / "ro", "4m") as ro:
        (ro / "shop.db").write_bytes(src.read_bytes())
        os.system(f"mount -o remount,ro {ro}")
        made = backup(f"sqlite:///{ro / 'shop.db'}", tmp_path / "out.db")
    with sqlite3.connect(made) as conn:
        assert conn.execute("SELECT count(*) FROM user").fetchone()[0] == 1
    assert url


def test_a_full_disk_is_a_sentence_and_leaves_no_part_file(tmp_path, monkeypatch):
    url = _shop(tmp_path / "shop.db")
    if CAN_MOUNT:
        with tmpfs(tmp_path / "small", "64k") as small:
            (small / "filler").write_bytes(b"\0" * 40 * 1024)
            with pytest.raises(StoreUnavailable, match="The disk is full") as full:
                backup(url, small)
            assert str(small) in str(full.value)
            assert sorted(p.name for p in small.iterdir()) == ["filler"]
        return
    real = backups._copy_to

    def full_disk(source, tmp):  # pragma: no cover - machines without mount
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    monkeypatch.setattr(backups, "_copy_to", full_disk)
    with pytest.raises(StoreUnavailable, match="The disk is full"):
        backup(url, tmp_path)
    assert _leftovers(tmp_path) == [] and real
