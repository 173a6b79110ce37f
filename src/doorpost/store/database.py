"""The database handle: an engine plus read and write transactions.

`write()` is the unit of work: everything done inside commits together or not at all, which
is how every SCIM write stays atomic. Driver errors that mean "already taken" become the
store's `Duplicate` here, the one place that knows about driver exceptions; each service
says what that means in its own terms.
"""

from __future__ import annotations

import collections
import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from sqlalchemy import Connection, Engine, Select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from doorpost.store.engine import make_engine
from doorpost.store.errors import Duplicate


class Busy(Exception):
    """No pooled connection became free within the pool timeout: answer 503, retry soon."""


class Database:
    def __init__(self, url: str, *, pool_size: int = 8, pool_timeout: float = 2.0) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, pool_size=pool_size, pool_timeout=pool_timeout)
        self.backend: str = self.engine.dialect.name  # "sqlite" | "postgresql"
        # Where request handlers run their database work. SQLite is an in-process library:
        # its calls are short and CPU-bound, and handing them to a worker thread costs more
        # than the work (~0.5 ms per request, measured). PostgreSQL waits on the network, so
        # its work goes to the thread pool and the event loop keeps serving other requests.
        self.runs_inline: bool = self.backend == "sqlite"

    def connections_in_use(self) -> int:
        """Connections checked out of the pool now (for the metrics)."""
        checkedout = getattr(self.engine.pool, "checkedout", None)
        return int(checkedout()) if callable(checkedout) else 0

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except PoolTimeout as exc:
            raise Busy("every database connection is in use") from exc
        with conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read. SQLite: one deferred transaction, so every statement sees one snapshot.
        PostgreSQL: autocommit; under READ COMMITTED each statement takes its own snapshot
        even inside a transaction, so BEGIN/COMMIT would only add two round trips."""
        with self._connect() as conn:
            if self.backend == "postgresql":
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
                return
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def single_read(self) -> Iterator[Connection]:
        """For one SELECT: no BEGIN/COMMIT round trips (a single statement is its own
        snapshot); the hot path of every request's token check."""
        with self._connect() as conn:
            if self.backend == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn.execution_options(doorpost_autocommit=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self._connect() as conn:
            conn = conn.execution_options(doorpost_write=True)
            conn.info.pop(AFTER_COMMIT, None)  # a rolled-back write's hooks never run
            try:
                with conn.begin():
                    yield conn
                for hook in conn.info.pop(AFTER_COMMIT, ()):  # only once it committed
                    hook()
            except IntegrityError as exc:
                if _is_unique_violation(exc):
                    raise Duplicate("A unique value is already taken in this "
                                    "organization.") from exc
                raise
            except OperationalError as exc:
                if _is_transient(exc):
                    raise TransientConflict(str(exc.orig)) from exc
                raise

    def first(self, prepared: Prepared, params: Mapping[str, Any]) -> Any | None:
        """The first row of a prepared SELECT, read in one statement on the driver's own
        connection (autocommit: a single SELECT is its own snapshot), or None."""
        compiled = prepared.on(self.engine)
        try:
            raw = self.engine.raw_connection()
        except PoolTimeout as exc:
            raise Busy("every database connection is in use") from exc
        try:
            driver: Any = raw.driver_connection
            if self.backend == "postgresql":
                driver.autocommit = True  # no BEGIN/ROLLBACK round trips around one SELECT
            try:
                cursor = raw.cursor()
                cursor.execute(compiled.sql, compiled.arguments(params))
                row = cursor.fetchone()
                cursor.close()
            finally:
                if self.backend == "postgresql":
                    driver.autocommit = False
        finally:
            raw.close()
        return None if row is None else compiled.row(row)

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.single_read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


AFTER_COMMIT = "doorpost_after_commit"


def after_commit(conn: Connection, hook: Callable[[], None]) -> None:
    """Run `hook` once this write transaction has committed (never if it rolls back)."""
    conn.info.setdefault(AFTER_COMMIT, []).append(hook)


class TransientConflict(Exception):
    """Two transactions locked rows in opposite orders (PostgreSQL broke the deadlock by
    rolling this one back) or could not be serialized: nothing was written, and running
    the same unit of work again is safe."""


@contextlib.contextmanager
def refused_as(refusal: Duplicate) -> Iterator[None]:
    """Statements whose only possible unique violation `refusal` names: the unique index
    decides, with no read before it, and the refusal still says which value is taken."""
    try:
        yield
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise refusal from exc
        raise


def _is_transient(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def _is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # positional parameters' names (SQLite), else named
    processors: tuple[Callable[[Any], Any] | None, ...]
    make: Callable[..., Any]  # the row type: a named tuple of the statement's columns
    defaults: dict[str, Any]  # the values bound when the statement was built

    def arguments(self, params: Mapping[str, Any]) -> Any:
        values = {**self.defaults, **params}
        return tuple(values[n] for n in self.order) if self.order is not None else values

    def row(self, values: tuple[Any, ...]) -> Any:
        return self.make(*(v if p is None or v is None else p(v)
                           for p, v in zip(self.processors, values)))


class Prepared:
    """A SELECT compiled once per database and run on the driver's cursor by
    `Database.first`: the reads every request makes (its token, a user by id) skip the
    per-statement machinery of SQLAlchemy's `Connection.execute`, about 40 µs of the
    0.1 ms such a read costs (measured by cProfile), and decode their columns with the
    same type processors SQLAlchemy would use. Column names must be unique (label them)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def on(self, engine: Engine) -> _Compiled:
        key = engine.dialect.name
        found = self._by_dialect.get(key)
        if found is None:
            dialect = engine.dialect
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup) if compiled.positional and \
                compiled.positiontup is not None else None
            columns = list(self.statement.selected_columns)
            names = [str(c.key) for c in columns]
            assert len(set(names)) == len(names), f"duplicate column names: {names}"
            processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                               for c in columns)
            found = _Compiled(str(compiled), order, processors,
                              collections.namedtuple("Row", names), dict(compiled.params))
            self._by_dialect[key] = found
        return found
