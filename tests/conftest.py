"""Shared fixtures: real databases (SQLite file, PostgreSQL) built by Alembic, and a real
uvicorn server per backend, reached over HTTP.

PostgreSQL comes from DOORPOST_TEST_POSTGRES_URL (default: the local server, database
`test`). Each test session creates its own database there and drops it afterwards. When no
PostgreSQL answers, its tests are skipped, except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from doorpost.app import create_app
from doorpost.config import Settings
from doorpost.service.organizations import IssuedToken, Organizations
from doorpost.store.database import Database
from doorpost.store.migrate import upgrade
from doorpost.store.orgs import Organization

PG_URL = os.environ.get("DOORPOST_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_database() -> Iterator[str]:
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"doorpost_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI and unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """A migrated, empty database for each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'doorpost.sqlite3'}"
        upgrade(url)
        yield url
        return
    gen = _postgres_database()
    url = next(gen)
    upgrade(url)
    yield url
    for _ in gen:
        pass


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, pool_size=2)
    yield database
    database.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings

    @property
    def scim_url(self) -> str:
        return f"{self.url}/scim/v2"


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[LiveServer]:
    """uvicorn serving Doorpost on a free loopback port, in a thread."""
    with serving(Settings(database_url=database_url, pool_size=4)) as live:
        yield live


@contextlib.contextmanager
def serving(settings: Settings, database: Database | None = None) -> Iterator[LiveServer]:
    """Doorpost built from `settings`, served by uvicorn in a thread until the block ends."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,  # type: ignore[arg-type]
                            log_level="warning", access_log=False, lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", settings)
    srv.should_exit = True
    thread.join(timeout=10)


@dataclass
class Tenant:
    """One organization with SCIM on and a token, plus an HTTP client authenticated as it."""

    org: Organization
    token: IssuedToken
    client: httpx.Client
    orgs: Organizations
    base: str

    def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.client.post(path, json=body, **kw)

    def patch(self, path: str, *ops: dict[str, Any], **kw: Any) -> httpx.Response:
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": list(ops)}
        return self.client.patch(path, json=body, **kw)


def make_tenant(db: Database, server: LiveServer, *, scim: bool = True) -> Tenant:
    orgs = Organizations(db)
    slug = f"org-{uuid.uuid4().hex[:10]}"
    org = orgs.create(f"Org {slug}", slug=slug, licensed=True, sso_configured=True)
    if scim:
        org = orgs.enable_scim(slug)
    issued = orgs.create_token(slug, "test")
    client = httpx.Client(base_url=server.scim_url,
                          headers={"Authorization": f"Bearer {issued.token}"}, timeout=30)
    return Tenant(org, issued, client, orgs, server.scim_url)


@pytest.fixture
def tenant(db: Database, server: LiveServer) -> Iterator[Tenant]:
    t = make_tenant(db, server)
    yield t
    t.client.close()


@pytest.fixture
def other_tenant(db: Database, server: LiveServer) -> Iterator[Tenant]:
    t = make_tenant(db, server)
    yield t
    t.client.close()


USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [USER_URN], "userName": user_name, "active": True,
                            "name": {"givenName": "Given", "familyName": "Family"},
                            "emails": [{"value": user_name, "type": "work", "primary": True}]}
    body.update(extra)
    return body


def group_body(name: str, members: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [GROUP_URN], "displayName": name}
    if members is not None:
        body["members"] = [{"value": m} for m in members]
    body.update(extra)
    return body
