"""Where rotated OAuth tokens live between runs.

Oura's refresh tokens are single-use (reference/oura-api.md §9.1): each refresh returns a new one
and invalidates the old. A new token that is not persisted before it is relied upon locks the user
out, and two processes refreshing with the same token knock each other out (§12.12). So every
store offers an exclusive cross-process `lock()` held around read-refresh-write, and `save()`
replaces the stored pair atomically and durably before the access token is used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
import typing as t
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

if t.TYPE_CHECKING:
    from collections.abc import Iterator

LOCK_TIMEOUT_SECONDS = 120.0
EXPIRY_LEEWAY_SECONDS = 120.0
HISTORY_LENGTH = 100


class TokenStoreError(Exception):
    """The token store cannot be used; the message says which one and why."""


def fingerprint(secret: str) -> str:
    """Return a non-reversible tag for a token, to recognise it without storing it twice."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


@dataclass
class TokenSet:
    """The current OAuth token pair of one Oura authorisation."""

    refresh_token: str
    access_token: str | None = None
    expires_at: float | None = None  # epoch seconds
    scope: str | None = None
    token_url: str | None = None  # the endpoint that accepted this lineage (old or new portal)
    seed: str | None = None  # fingerprint of the configured refresh token this lineage began with
    # Fingerprints of the lineage's spent refresh tokens: a configured token found here is an old
    # copy (say, a stale secret), not a new authorisation, and must never be sent again.
    history: list[str] = field(default_factory=list)
    updated_at: float = field(default_factory=time.time)

    def knows(self, refresh_token: str) -> bool:
        """Return True when `refresh_token` belongs to this lineage (current, seed or spent)."""
        tag = fingerprint(refresh_token)
        return refresh_token == self.refresh_token or tag == self.seed or tag in self.history

    def successor(self, tokens: TokenSet) -> TokenSet:
        """Return `tokens` (just obtained with our refresh token) as the lineage's next pair."""
        tokens.seed = self.seed
        tokens.history = [*self.history, fingerprint(self.refresh_token)][-HISTORY_LENGTH:]
        return tokens

    def access_token_valid(self, now: float | None = None) -> bool:
        """Return True when the access token can still be used for a while."""
        if not self.access_token:
            return False
        if self.expires_at is None:
            return True
        return (now or time.time()) < self.expires_at - EXPIRY_LEEWAY_SECONDS

    def to_json(self) -> str:
        """Serialise for storage."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Parse what `to_json` wrote."""
        data = json.loads(text)
        fields = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        fields["history"] = list(fields.get("history") or [])
        return cls(**fields)


class TokenStore(t.Protocol):
    """A durable home for one `TokenSet` with an exclusive cross-process lock."""

    def describe(self) -> str:
        """Say where the tokens are, for log and error messages (never the tokens)."""
        ...

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the exclusive lock for a read-refresh-write cycle."""
        ...

    def load(self) -> TokenSet | None:
        """Return the stored tokens, or None when nothing was stored yet."""
        ...

    def save(self, tokens: TokenSet) -> None:
        """Replace the stored tokens atomically and durably."""
        ...


class FileTokenStore:
    """Tokens in a JSON file (mode 0600), replaced by write-fsync-rename; `flock` on a sibling."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Use `path`; its directory is created on first save."""
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def describe(self) -> str:
        """Say which file holds the tokens."""
        return f"file {self.path}"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive `flock` on the lock file, waiting up to LOCK_TIMEOUT_SECONDS."""
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = self.lock_path.open("a")
        except OSError as exc:
            msg = f"Cannot use the token file {self.path}: {exc.strerror}. Fix the path or its "
            msg += "permissions (token_store_path); no refresh token was spent."
            raise TokenStoreError(msg) from None
        with handle:
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        msg = f"Another process has held the token lock {self.lock_path} for over "
                        msg += f"{LOCK_TIMEOUT_SECONDS:.0f} s; is a second collector running?"
                        raise TokenStoreError(msg) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self) -> TokenSet | None:
        """Read the file, if it exists."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            return TokenSet.from_json(text)
        except (ValueError, TypeError) as exc:
            msg = f"The token file {self.path} is unreadable ({type(exc).__name__}); restore it "
            msg += "or delete it and authorise again."
            raise TokenStoreError(msg) from None

    def save(self, tokens: TokenSet) -> None:
        """Write a temporary file, fsync it, rename it over the old one, fsync the directory."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(tokens.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class PostgresTokenStore:
    """Tokens in a PostgreSQL table, one row per key; a session advisory lock serialises refreshes.

    Suits stateless pods: the token survives the pod, and the lock works across pods.
    """

    def __init__(self, dsn: str, *, table: str = "oura_auth.oauth_tokens", key: str) -> None:
        """Use `table` (schema-qualified; created if missing) and the row named `key`."""
        self._dsn = dsn
        self._key = key
        self._table_name = table
        schema, _, name = table.rpartition(".")
        self._schema = schema or "public"
        self._table = sql.Identifier(self._schema, name)
        self._connection: psycopg.Connection | None = None

    def describe(self) -> str:
        """Say which table holds the tokens."""
        return f"PostgreSQL table {self._table_name}"

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self._dsn, autocommit=True, connect_timeout=15)
        except psycopg.OperationalError as exc:
            # psycopg's message names host and database, never the password.
            msg = f"Cannot reach the PostgreSQL token store: {str(exc).strip()}"
            raise TokenStoreError(msg) from None

    def _ensure_table(self, connection: psycopg.Connection) -> None:
        connection.execute(
            sql.SQL("create schema if not exists {}").format(sql.Identifier(self._schema))
        )
        connection.execute(
            sql.SQL(
                "create table if not exists {} (key text primary key, tokens jsonb not null, "
                "updated_at timestamptz not null default now())"
            ).format(self._table)
        )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold `pg_advisory_lock` on the key for the cycle, on a dedicated connection."""
        with self._connect() as connection:
            connection.execute(
                "select set_config('lock_timeout', %s, false)", (f"{LOCK_TIMEOUT_SECONDS:.0f}s",)
            )
            lock_id = connection.execute(
                "select hashtextextended(%s, 0)", (f"tap-oura:{self._key}",)
            ).fetchone()[0]
            try:
                connection.execute("select pg_advisory_lock(%s)", (lock_id,))
            except psycopg.errors.LockNotAvailable:
                msg = f"Another process has held the token lock in {self.describe()} for over "
                msg += f"{LOCK_TIMEOUT_SECONDS:.0f} s; is a second collector running?"
                raise TokenStoreError(msg) from None
            self._connection = connection
            try:
                self._ensure_table(connection)
                yield
            finally:
                self._connection = None
                connection.execute("select pg_advisory_unlock(%s)", (lock_id,))

    @contextlib.contextmanager
    def _session(self) -> Iterator[psycopg.Connection]:
        if self._connection is not None:
            yield self._connection
            return
        with self._connect() as connection:
            self._ensure_table(connection)
            yield connection

    def load(self) -> TokenSet | None:
        """Read the row for the key, if any."""
        with self._session() as connection:
            row = connection.execute(
                sql.SQL("select tokens::text from {} where key = %s").format(self._table),
                (self._key,),
            ).fetchone()
        return TokenSet.from_json(row[0]) if row else None

    def save(self, tokens: TokenSet) -> None:
        """Upsert the row in one autocommitted statement (atomic and durable on return)."""
        with self._session() as connection:
            connection.execute(
                sql.SQL(
                    "insert into {} (key, tokens, updated_at) values (%s, %s::jsonb, now()) "
                    "on conflict (key) do update set tokens = excluded.tokens, "
                    "updated_at = excluded.updated_at"
                ).format(self._table),
                (self._key, tokens.to_json()),
            )


class SecretsManagerTokenStore:
    """Tokens inside an AWS Secrets Manager secret (the collector's `oura/api-credentials`).

    The secret is JSON that also holds other settings (client id, intervals ...): a save replaces
    its `refresh_token` (so humans and the collector see the current one) and the full token set
    under `oauth_tokens`, in one `PutSecretValue` call, which Secrets Manager applies atomically.
    Secrets Manager has no lock and its write may be refused (a missing IAM permission) after
    Oura has already rotated the token, so every pair is first saved in a companion store (the
    PostgreSQL table in the pipeline), whose lock also serialises refreshes; `load` returns the
    newer of the two copies.
    """

    TOKENS_FIELD = "oauth_tokens"

    def __init__(self, secret_id: str, *, companion: TokenStore, client: t.Any = None) -> None:
        """Use the secret `secret_id`; region and endpoint come from the usual AWS settings."""
        self.secret_id = secret_id
        self.companion = companion
        self._client = client

    @property
    def client(self) -> t.Any:
        """Return the boto3 Secrets Manager client, created on first use."""
        if self._client is None:
            import boto3  # noqa: PLC0415 (boto3 is slow to import; only this store needs it)

            self._client = boto3.client("secretsmanager")
        return self._client

    def describe(self) -> str:
        """Say which secret holds the tokens."""
        return f"AWS Secrets Manager secret {self.secret_id} (copy in {self.companion.describe()})"

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the companion store's lock."""
        return self.companion.lock()

    def _read(self) -> dict[str, t.Any]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            value = self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            msg = f"Cannot read the secret {self.secret_id} ({code}); check its name, region and "
            msg += "the role's secretsmanager:GetSecretValue permission."
            raise TokenStoreError(msg) from None
        except BotoCoreError as exc:
            raise TokenStoreError(f"Cannot reach the secret {self.secret_id}: {exc}") from None
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TokenStoreError(f"The secret {self.secret_id} does not hold a JSON object.")
        return data

    def load(self) -> TokenSet | None:
        """Return the newer of the secret's token set and the companion's."""
        stored = self._read().get(self.TOKENS_FIELD)
        in_secret = None
        if stored:
            try:
                in_secret = TokenSet.from_json(json.dumps(stored))
            except TypeError:
                msg = f"The secret {self.secret_id} has unreadable oauth_tokens."
                raise TokenStoreError(msg) from None
        copies = [tokens for tokens in (in_secret, self.companion.load()) if tokens is not None]
        return max(copies, key=lambda tokens: tokens.updated_at, default=None)

    def save(self, tokens: TokenSet) -> None:
        """Save in the companion first, then write a new secret version keeping other fields."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        self.companion.save(tokens)
        data = self._read()
        data["refresh_token"] = tokens.refresh_token
        data[self.TOKENS_FIELD] = json.loads(tokens.to_json())
        try:
            self.client.put_secret_value(SecretId=self.secret_id, SecretString=json.dumps(data))
        except (ClientError, BotoCoreError) as exc:
            msg = f"Cannot write the rotated OAuth token to the secret {self.secret_id} "
            msg += f"({type(exc).__name__}); grant the role secretsmanager:PutSecretValue. The "
            msg += f"token is safe in {self.companion.describe()} and is used from there."
            raise TokenStoreError(msg) from None
