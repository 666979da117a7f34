"""Engine, sessions and migrations: SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver

HERE = Path(__file__).resolve().parent
OWNER = "owner"  # session.info key: the process (Database.owner) the session works for
DEFAULT_URL = "sqlite+aiosqlite:///runcoach.sqlite3"

# sqlite+aiosqlite:// in this process: one trip to the database thread per statement
sqlite_driver.register()


def normalize_url(url: str) -> str:
    """Accept the plain URLs operators paste (postgres://, postgresql://, sqlite://)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        url = "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # deleted rows (a runner's /delete) are overwritten with zeros, not left in free pages
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by its owner only (0600); SQLite gives the -wal and
    -shm files the database file's mode. An existing file is narrowed to 0600 too."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.chmod(path + suffix, 0o600)


# Updates one process handles at once on PostgreSQL. Each holds up to two connections (its
# chat's advisory lock and its transaction): under half the pool (PG_POOL_MOST), or every
# update holds a lock's connection and waits for a transaction's.
PG_UPDATES_AT_ONCE = 6
# A process's pooled connections on PostgreSQL: the updates' two each, the sender's records,
# the scheduler's tick and the heartbeat; up to PG_POOL_MOST when they all meet.
PG_POOL_SIZE = 12
PG_POOL_MOST = 15


def create_engine(url: str, *, schema: str | None = None, echo: bool = False) -> AsyncEngine:
    """An async engine; ``schema`` puts every table in that PostgreSQL schema (tests use it)."""
    url = normalize_url(url)
    parsed = make_url(url)
    if "search_path" in parsed.query:  # postgresql://…/db?search_path=runcoach
        schema = schema or str(parsed.query["search_path"])
        url = parsed.difference_update_query(["search_path"]).render_as_string(hide_password=False)
    # SQL parameters (what runners wrote) stay out of exception messages and logs
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if is_sqlite(url):
        _private_sqlite_file(url)
        kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
        # Every transaction here ends in a commit or a rollback of its own (a session, or a
        # connection closed with its transaction), so the pool's extra rollback when a
        # connection comes back would only be another trip to aiosqlite's thread.
        kwargs["pool_reset_on_return"] = None
    else:
        # Every connection an update needs stays pooled: an overflow connection is closed
        # when it comes back, and opening one costs PostgreSQL a process (docs/performance.md).
        # The most a process holds is unchanged (15: plan max_connections by it).
        kwargs["pool_size"] = PG_POOL_SIZE
        kwargs["max_overflow"] = PG_POOL_MOST - PG_POOL_SIZE
        if schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "checkin", _returned)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


# A pooled connection that sat idle may have been closed meanwhile (PostgreSQL restarted, a
# firewall's idle timeout): it is pinged before use, and replaced when the ping fails.
# SQLAlchemy's ``pool_pre_ping`` pings at every checkout, two round trips (a transaction
# begun and rolled back) three times per update; under load no connection idles that long.
# One that breaks while in use fails its transaction, the pool drops every connection older
# than the failure, and the work is retried (the update is not confirmed to Telegram).
IDLE_PING_SECONDS = 1.0


def _returned(_dbapi_conn: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    since = record.info.pop("idle_since", None)
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return  # new, or back in the pool a moment ago
    try:
        dbapi_conn.ping()
    except Exception as exc:
        # the pool replaces the connection and tries again with another one
        raise DisconnectionError("a pooled connection did not answer its ping") from exc


def _try_to_write(path: str, uri: bool) -> None:
    """Raise when SQLite's file at ``path`` stays locked by another writer for a second."""
    conn = sqlite3.connect(path, timeout=1.0, isolation_level=None, uri=uri)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def _checkpoint(path: str, uri: bool) -> bool:
    """The WAL copied into the file and truncated; False when a reader held it back."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, uri=uri)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy or not busy[0]
    finally:
        conn.close()


class Database:
    """Owns the engine and hands out one session (one transaction) per unit of work."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = normalize_url(url)
        self.engine = create_engine(self.url, schema=schema)
        # PostgreSQL's advisory locks are database-wide: their keys carry the schema, so
        # deployments (or test workers) in schemas of one database never wait on each other
        query = make_url(self.url).query
        self.lock_scope = schema or str(query.get("search_path") or "public")
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Queueing transactions on an asyncio lock keeps the
        # order fair; otherwise waiting writers sleep in busy-timeout back-off and the slowest
        # reply gets much slower (bench/checkin.py). PostgreSQL locks per row instead.
        self.is_sqlite = is_sqlite(self.url)  # read for every reply: parsed once
        self._sqlite_lock = asyncio.Lock() if self.is_sqlite else None
        # this process's name on the deliveries it claims (storage/delivery.py); its
        # heartbeat (``process_beats``) says it is alive
        self.owner = uuid.uuid4().hex[:16]

    @property
    def updates_at_once(self) -> int:
        """How many updates a polling process may handle at once: SQLite has no chat lock
        (one process, its writers queued here); PostgreSQL, :data:`PG_UPDATES_AT_ONCE`."""
        return 64 if self.is_sqlite else PG_UPDATES_AT_ONCE

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Commit when the block ends cleanly, roll back when it raises."""
        if self._sqlite_lock is None:
            async with self.sessions() as session, session.begin():
                session.info[OWNER] = self.owner
                yield session
            return
        async with self._sqlite_lock, self.sessions() as session, session.begin():
            session.info[OWNER] = self.owner
            yield session

    async def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database file and truncate it, so deleted data
        does not linger in the -wal file (run after a /delete commits, and at start-up for
        a process that died in between). PostgreSQL: nothing.

        On a thread and a connection of its own (this process's transactions held off by
        its lock meanwhile): a reader in another process (an online backup) makes SQLite
        wait in its busy handler, which must not hold up the event loop, where this
        process's statements run (storage/sqlite_driver.py)."""
        file, lock = self._sqlite_file(), self._sqlite_lock
        if file is None or lock is None:
            return
        for _ in range(20):
            async with lock:
                done = await asyncio.to_thread(_checkpoint, *file)
            if done:
                return
            await asyncio.sleep(0.05)  # a reader in another process holds it: try again
        raise TimeoutError("the SQLite WAL could not be checkpointed")

    async def writable(self) -> None:
        """Raise when a write could not happen now: SQLite locked by another writer for
        more than a second, a read-only PostgreSQL (a standby, or read-only by setting)."""
        if self._sqlite_lock is not None:
            # on a thread and a connection of its own, for the reason given at checkpoint
            file = self._sqlite_file()
            if file is not None:
                await asyncio.to_thread(_try_to_write, *file)
            return
        async with self.engine.connect() as conn:
            read_only = await conn.scalar(text("SHOW transaction_read_only"))
            if read_only == "on" or await conn.scalar(text("SELECT pg_is_in_recovery()")):
                raise PermissionError("the database is read-only")

    def _sqlite_file(self) -> tuple[str, bool] | None:
        """(the SQLite database to open, whether it is a ``file:`` URI); None for
        PostgreSQL and for a database in memory (no file, no WAL)."""
        if self._sqlite_lock is None:
            return None
        path = make_url(self.url).database
        if not path or path == ":memory:":
            return None
        return path, path.startswith("file:")

    @asynccontextmanager
    async def chat_lock(self, bot_id: int, chat_id: int) -> AsyncIterator[None]:
        """Hold one chat's turn across processes while its update is handled and answered.

        PostgreSQL: a transaction-level advisory lock keyed by (bot, chat), taken in a
        transaction of its own on its own connection and held until the block ends (the
        update's transactions run beside it; the lock ends with that transaction, or with
        the connection if the process dies). Another process handling the same chat waits
        here. SQLite: nothing (one process per file; the caller orders a chat's updates)."""
        if self._sqlite_lock is not None:
            yield
            return
        async with self.engine.connect() as conn, conn.begin():
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"runcoach-chat:{self.lock_scope}:{bot_id}:{chat_id}"},
            )
            yield

    async def schema_status(self) -> tuple[str | None, str | None]:
        """(the database's migration revision, the code's head revision); raises when the
        database does not answer."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        def current(conn: Connection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self.engine.connect() as conn:
            revision = await conn.run_sync(current)
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return revision, head

    async def migrate(self) -> None:
        """Upgrade to head. On PostgreSQL an advisory lock makes processes that start
        together (several replicas) migrate one after the other; the later ones find the
        schema at head and do nothing."""
        async with self.engine.begin() as conn:
            if self._sqlite_lock is None:
                await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                                   {"k": f"runcoach-migrate:{self.lock_scope}"})
            await conn.run_sync(_upgrade)
        # a /delete whose process died before its checkpoint leaves nothing in the -wal
        await self.checkpoint()

    async def dispose(self) -> None:
        await self.engine.dispose()


# INSERT with ON CONFLICT, for each database this project runs on
_INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def dialect_of(session: AsyncSession) -> str:
    return str(session.get_bind().dialect.name)


def conflict_insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    insert = _INSERTS.get(dialect_of(session))
    if insert is None:
        raise NotImplementedError(f"no ON CONFLICT insert for {dialect_of(session)}")
    return insert(table)


def inserts_ignoring_conflicts(table: Any, index: list[str], **values: Any) -> dict[str, Any]:
    """INSERT ... ON CONFLICT (``index``) DO NOTHING of ``values`` (bind parameters), built
    once for each database: run ``statements[dialect_of(session)]``."""
    return {
        name: insert(table).values(**values).on_conflict_do_nothing(index_elements=index)
        for name, insert in _INSERTS.items()
    }


def alembic_config() -> Config:
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


def _upgrade(conn: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


class Turn:
    """One process at a time holds a named turn (the polling of a bot): held until released
    or until the process dies, then free at once for the next to take.

    PostgreSQL: a session-level advisory lock on a connection of its own (a killed process's
    connection closes, and the lock with it). SQLite: an exclusive ``flock`` on a file next
    to the database (the kernel lets go when the process dies)."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self._conn: Any = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def take(self) -> bool:
        """Take the turn if nobody holds it; True when this process holds it (now or before)."""
        if self.held:
            return True
        if self.db._sqlite_lock is None:
            conn = await self.db.engine.connect()
            try:
                got = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(hashtextextended(:k, 0))"),
                    {"k": f"runcoach-turn:{self.db.lock_scope}:{self.name}"},
                )
                await conn.commit()
            except BaseException:
                await conn.close()
                raise
            if got:
                self._conn = conn
            else:
                await conn.close()
            return bool(got)
        import fcntl

        path = make_url(self.db.url).database or ""
        if not path or path == ":memory:":
            self._fd = -1  # a private in-memory database: nobody else can poll it
            return True
        fd = os.open(f"{path}.{self.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        """False when the turn was lost (PostgreSQL: its connection broke)."""
        if self._conn is None:
            return self._fd is not None
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            await self.release()
            return False

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()  # closed for real, not pooled: the lock goes with it
                await conn.close()
        fd, self._fd = self._fd, None
        if fd is not None and fd >= 0:
            os.close(fd)  # the flock goes with the file descriptor
