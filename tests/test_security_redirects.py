"""No redirect leaves the gateway, whatever target a client hands it.

Three layers: the shared check (``gateway/redirects.py``) against hostile
values; the views that take ``next=`` driven with them over HTTP; and two
sweeps that need no list kept by hand — every route and method is called
with hostile ``next``/``return_to``/… parameters and a hostile Referer, and
the code is read to find every ``redirect(...)`` and every read of a
redirect-like parameter, so a new view that forgets the check fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway import PROJECT_ROOT
from gateway.redirects import is_safe_target
from tests.conftest import AppFactory
from tests.contact_support import HTTPS, browser_like_client, hidden_inputs
from tests.security_support import ADMIN_EMAIL, ADMIN_PASSWORD, World, build_world, samples

GATEWAY_HOST = urlsplit(HTTPS).netloc

HOSTILE = [
    "//evil.example",
    "//evil.example/admin",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/admin",
    "HTTPS://evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    "\n//evil.example",
    " //evil.example",
    "/\r\nLocation: https://evil.example",
    "/admin\x00//evil.example",
    "http:evil.example",
    "https:evil.example",
    "http:/evil.example",
    "/／evil.example",  # fullwidth solidus
    "／／evil.example",
    "/\u2215evil.example",  # division slash
    "//evil。example",  # ideographic full stop
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    '"><script>alert(1)</script>',
    "/..//evil.example",
    "/.//evil.example",
    "/%2e%2e//evil.example",
    "/" + "a" * 5000,
]
LOCAL = ["/admin", "/admin/requests?status=all", "/admin/forwarded?site=hottelecom&page=2"]


def browser_resolves(location: str, base: str = HTTPS + "/admin/login") -> str:
    """The host a browser would go to for this Location (WHATWG's lenient parsing)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00- ")
    cleaned = cleaned.replace("\\", "/")
    return urlsplit(urljoin(base, cleaned)).netloc


def assert_stays(response: TestResponse, what: str) -> None:
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")
        assert browser_resolves(location) == GATEWAY_HOST, (what, location)
        assert not location.lower().lstrip().startswith(("javascript:", "data:")), what
        assert location.isascii(), (what, location)


@pytest.mark.parametrize("target", HOSTILE)
def test_the_shared_check_refuses_hostile_targets(target: str) -> None:
    assert not is_safe_target(target)


@pytest.mark.parametrize("target", LOCAL)
def test_the_shared_check_keeps_local_paths(target: str) -> None:
    assert is_safe_target(target)


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    return app_factory(CONTACT_MIN_FILL_SECONDS=0)


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def _login_post(client: FlaskClient, target: str) -> TestResponse:
    page = client.get("/admin/login", base_url=HTTPS)
    data = hidden_inputs(page.get_data(as_text=True))
    data.update({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "next": target})
    return client.post("/admin/login", data=data, base_url=HTTPS)


def test_every_next_parameter_refuses_hostile_targets(app: Flask, world: World) -> None:
    visitor, staff = world.visitor, world.staff
    page = staff.get("/admin/forwarded", base_url=HTTPS).get_data(as_text=True)
    token = hidden_inputs(page)["csrf_token"]
    for target in HOSTILE:
        # Signed in already: GET /admin/login?next= redirects at once.
        response = staff.get("/admin/login", query_string={"next": target}, base_url=HTTPS)
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin", target
        # The sign-in form carries next= through a hidden field, escaped.
        form = visitor.get("/admin/login", query_string={"next": target}, base_url=HTTPS)
        assert form.status_code == 200
        assert "<script>alert" not in form.get_data(as_text=True), target
        signed_in = _login_post(browser_like_client(app), target)
        assert signed_in.status_code == 303, target
        assert signed_in.headers["Location"] == "/admin", target
        retried = staff.post(
            "/admin/forwarded/retry",
            data={"csrf_token": token, "next": target},
            base_url=HTTPS,
        )
        assert retried.status_code == 303, target
        assert retried.headers["Location"] == "/admin/forwarded", target


def test_local_next_is_followed_and_the_way_back_survives(app: Flask, world: World) -> None:
    gate = app.test_client().get(
        "/admin/requests", query_string={"status": "all", "q": "Иван"}, base_url=HTTPS
    )
    assert gate.status_code == 302
    login_url = gate.headers["Location"]
    assert login_url.isascii()
    next_value = hidden_inputs(
        app.test_client().get(login_url, base_url=HTTPS).get_data(as_text=True)
    )["next"]
    assert next_value.startswith("/admin/requests?")
    assert "%D0%98" in next_value  # non-ASCII travels percent-encoded, so it passes the check
    for target in [*LOCAL, next_value]:
        response = _login_post(browser_like_client(app), target)
        assert response.headers["Location"] == target


REDIRECT_PARAMETERS = ("next", "return_to", "redirect", "redirect_to", "url", "back", "continue")


def _path_for(world: World, endpoint: str, rule_path: str) -> str:
    known = samples(world)
    if endpoint in known:
        return known[endpoint].path.split("?")[0]
    status_token = world.status_path.split("/contact/status/")[1].split("?")[0]
    values = {
        "request_id": str(world.request_id),
        "action": "reply",
        "user_id": "1",
        "number": "1",
        "consent_id": world.consent_id,
        "token": status_token,
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule_path)


def test_no_route_redirects_off_the_gateway(app: Flask, world: World) -> None:
    """Every route and method, signed in as admin, with hostile targets everywhere."""
    evil = "//evil.example/"
    query = dict.fromkeys(REDIRECT_PARAMETERS, evil)
    form = {**query, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "lang": evil}
    last = {"admin.login": 1, "admin.logout": 2}
    rules = sorted(app.url_map.iter_rules(), key=lambda r: last.get(r.endpoint, 0))
    called = redirects = 0
    evil_referer = "https://evil.example/page"
    for rule in rules:
        path = _path_for(world, rule.endpoint, rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for client in (world.staff, world.visitor):
                # A fresh token each time: signing in again renews it.
                page_path = "/admin" if client is world.staff else "/admin/login"
                page = client.get(page_path, base_url=HTTPS).get_data(as_text=True)
                form["csrf_token"] = hidden_inputs(page).get("csrf_token", "")
                response = client.open(
                    path,
                    method=method,
                    query_string={**query, "lang": evil},
                    data=form if method == "POST" else None,
                    # Form posts need a same-origin Referer (CSRF over HTTPS); pages
                    # are called from a hostile one.
                    headers={"Referer": HTTPS + "/" if method == "POST" else evil_referer},
                    base_url=HTTPS,
                )
                assert response.status_code < 500, (method, path)
                assert_stays(response, f"{method} {path}")
                called += 1
                redirects += 300 <= response.status_code < 400
    assert called > 50
    # The sweep reaches the views' own redirects, not only CSRF refusals.
    assert redirects >= 15


# --- reading the code -------------------------------------------------------------

GATEWAY = PROJECT_ROOT / "gateway"
_NAMES = "|".join(REDIRECT_PARAMETERS)
TARGET_READ = re.compile(
    rf"""(?:args|form|values)\.get\(\s*["'](?:{_NAMES})["']"""
    r"""|\bform\.next\b|\brequest\.referrer\b|["']Referer["']"""
)
# (file, function) pairs that read a redirect target from the client, all checked.
KNOWN_READERS = {
    ("analytics/staff_views.py", "retry_dead_letters"),
    ("admin/views.py", "login"),
    ("admin/account_views.py", "set_language"),
}


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


def _called(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return ""


def _is_safe_expression(node: ast.AST, function: ast.FunctionDef) -> bool:
    if _called(node) in {"url_for", "safe_target", "_login_redirect"}:
        return True
    if isinstance(node, ast.Name):
        sources = [
            a.value
            for a in ast.walk(function)
            if isinstance(a, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
        ]
        return bool(sources) and all(_called(s) in {"url_for", "safe_target"} for s in sources)
    return False


def test_every_redirect_goes_through_url_for_or_the_shared_check() -> None:
    checked = 0
    for path in sorted(GATEWAY.rglob("*.py")):
        if path.name == "redirects.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in _functions(tree):
            for node in ast.walk(function):
                if _called(node) == "redirect" and isinstance(node, ast.Call):
                    where = f"{path.relative_to(GATEWAY)}:{node.lineno}"
                    assert node.args, where
                    assert _is_safe_expression(node.args[0], function), (
                        f"{where}: redirect to something that is neither url_for(...) nor "
                        "gateway.redirects.safe_target(...)"
                    )
                    checked += 1
    assert checked >= 10


def test_every_read_of_a_redirect_target_is_known_and_checked() -> None:
    readers = set()
    for path in sorted(GATEWAY.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        lines = source.splitlines()
        for function in _functions(tree):
            body = "\n".join(lines[function.lineno - 1 : function.end_lineno])
            if TARGET_READ.search(body) and not any(
                isinstance(n, ast.FunctionDef) and n is not function for n in ast.walk(function)
            ):
                name = str(path.relative_to(GATEWAY))
                readers.add((name, function.name))
                assert "safe_target(" in body, f"{name}:{function.name} reads a target unchecked"
    assert readers == KNOWN_READERS


def test_the_check_is_used_by_every_known_reader() -> None:
    assert Path(GATEWAY / "redirects.py").exists()
    for name, function in KNOWN_READERS:
        assert f"def {function}(" in (GATEWAY / name).read_text(encoding="utf-8")
