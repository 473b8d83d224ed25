"""Token stores keep the current token pair durably, atomically and under a cross-process lock."""

from __future__ import annotations

import multiprocessing
import stat
import time
from typing import TYPE_CHECKING

import psycopg
import pytest

from tap_oura.token_store import (
    FileTokenStore,
    PostgresTokenStore,
    TokenSet,
    TokenStoreError,
    fingerprint,
)

if TYPE_CHECKING:
    from pathlib import Path


def _tokens(n: int) -> TokenSet:
    return TokenSet(
        refresh_token=f"refresh-{n}-xxxxxxxx",
        access_token=f"access-{n}-xxxxxxxx",
        expires_at=time.time() + 3600,
        token_url="https://example.invalid/oauth/token",
        seed=fingerprint("seed-token"),
    )


def test_file_store_round_trips_and_is_private(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "state" / "tokens.json")
    assert store.load() is None
    store.save(_tokens(1))
    saved = _tokens(2)
    store.save(saved)
    assert store.load() == saved
    mode = stat.S_IMODE((tmp_path / "state" / "tokens.json").stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in (tmp_path / "state").iterdir() if p.name.endswith(".tmp")] == []


def test_file_store_names_a_corrupt_file_without_leaking_it(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"refresh_token": "secret-value-123", truncated')
    with pytest.raises(TokenStoreError, match="unreadable") as excinfo:
        FileTokenStore(path).load()
    assert "secret-value-123" not in str(excinfo.value)


def _hold_lock(path: str, held: multiprocessing.synchronize.Event, release: float) -> None:
    with FileTokenStore(path).lock():
        held.set()
        time.sleep(release)


def test_file_store_lock_excludes_another_process(tmp_path: Path) -> None:
    path = str(tmp_path / "tokens.json")
    held = multiprocessing.get_context("spawn").Event()
    holder = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(path, held, 1.0))
    holder.start()
    assert held.wait(30)
    started = time.monotonic()
    with FileTokenStore(path).lock():
        waited = time.monotonic() - started
    holder.join(10)
    assert waited > 0.5  # we got the lock only after the other process let go


def test_token_validity_has_a_safety_margin() -> None:
    now = time.time()
    assert TokenSet("r", access_token="a", expires_at=now + 3600).access_token_valid()
    assert not TokenSet("r", access_token="a", expires_at=now + 30).access_token_valid()
    assert not TokenSet(refresh_token="r").access_token_valid()


def test_postgres_store_round_trips_per_key(database: str) -> None:
    first = PostgresTokenStore(database, table="oura_auth.oauth_tokens", key="app-one")
    second = PostgresTokenStore(database, table="oura_auth.oauth_tokens", key="app-two")
    assert first.load() is None
    with first.lock():
        first.save(_tokens(1))
        first.save(_tokens(2))
    second.save(_tokens(9))
    assert first.load().refresh_token == "refresh-2-xxxxxxxx"
    assert second.load().refresh_token == "refresh-9-xxxxxxxx"
    with psycopg.connect(database) as connection:
        rows = connection.execute("select count(*) from oura_auth.oauth_tokens").fetchone()
    assert rows == (2,)


def test_postgres_store_lock_is_exclusive_per_key(database: str) -> None:
    store = PostgresTokenStore(database, key="app")
    with store.lock(), psycopg.connect(database, autocommit=True) as other:
        lock_id = other.execute("select hashtextextended('tap-oura:app', 0)").fetchone()[0]
        assert other.execute("select pg_try_advisory_lock(%s)", (lock_id,)).fetchone() == (False,)
    with psycopg.connect(database, autocommit=True) as other:
        assert other.execute("select pg_try_advisory_lock(%s)", (lock_id,)).fetchone() == (True,)


def test_postgres_store_unreachable_says_so_without_the_password() -> None:
    store = PostgresTokenStore("postgresql://oura:hunter2-secret@127.0.0.1:1/oura", key="app")
    with pytest.raises(TokenStoreError, match="Cannot reach the PostgreSQL token store") as exc:
        store.load()
    assert "hunter2-secret" not in str(exc.value)
