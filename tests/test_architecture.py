"""The package graph points one way (SPEC "Layout").

- ``gateway/admin`` is the staff shell: it imports no face, not even inside a function.
- Faces meet through each other's services and models, never through views or staff pages.
- The core modules beside the faces (``gateway/*.py``) import no face; only the factory,
  ``create_app`` in ``gateway/__init__.py``, puts the faces together.
- In the analytics face, the intake knows nothing of the forwarding half:
  ``intake -> outbox -> forwarding``.

Imports are read from the source with ``ast`` (every ``import`` statement, wherever
it stands), so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

GATEWAY = Path(__file__).resolve().parent.parent / "gateway"
FACES = ("consent", "analytics", "policy", "contact", "ops")
# Modules that are a face's pages: no other face may import them.
VIEW_MODULES = ("views", "staff_views", "intake.views")


def imported_modules(source: str) -> Iterator[str]:
    """Every module an import statement in ``source`` names (``from a import b`` gives
    ``a`` and ``a.b``, since b may be a module)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


def face_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "gateway" and parts[1] in FACES:
        return parts[1]
    return None


def is_view_module(module: str, face: str) -> bool:
    rest = module.removeprefix(f"gateway.{face}.")
    return any(rest == name or rest.startswith(name + ".") for name in VIEW_MODULES)


def violations(path: Path, source: str) -> list[str]:
    """What an import in the file at ``path`` (inside gateway/) breaks, as sentences."""
    relative = path.relative_to(GATEWAY)
    top = relative.parts[0] if len(relative.parts) > 1 else None
    found = []
    for module in set(imported_modules(source)):
        target = face_of(module)
        if target is None:
            continue
        if top == "admin":
            found.append(f"{relative}: the staff shell imports the {target} face ({module})")
        elif top is None and relative.name != "__init__.py":
            found.append(f"{relative}: a core module imports the {target} face ({module})")
        elif top in FACES and top != target and is_view_module(module, target):
            found.append(f"{relative}: the {top} face imports {target}'s pages ({module})")
    if relative.parts[:2] == ("analytics", "intake"):
        found += [
            f"{relative}: the intake imports the forwarding half ({module})"
            for module in set(imported_modules(source))
            if module.startswith("gateway.analytics.forwarding")
        ]
    return sorted(found)


def test_the_package_graph_points_one_way() -> None:
    problems = [
        problem
        for path in sorted(GATEWAY.rglob("*.py"))
        for problem in violations(path, path.read_text(encoding="utf-8"))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        (
            "admin/views.py",
            "def f():\n    from gateway.contact import reports\n",
            "admin/views.py: the staff shell imports the contact face (gateway.contact)",
        ),
        (
            "admin/views.py",
            "import gateway.policy.store\n",
            "admin/views.py: the staff shell imports the policy face (gateway.policy.store)",
        ),
        (
            "contact/staff_views.py",
            "from gateway.consent import staff_views\n",
            "contact/staff_views.py: the contact face imports consent's pages "
            "(gateway.consent.staff_views)",
        ),
        (
            "policy/reports.py",
            "from gateway.analytics.intake.views import bp\n",
            "policy/reports.py: the policy face imports analytics's pages "
            "(gateway.analytics.intake.views)",
        ),
        (
            "clientinfo.py",
            "from gateway.analytics import reports\n",
            "clientinfo.py: a core module imports the analytics face (gateway.analytics)",
        ),
        (
            "analytics/intake/pipeline.py",
            "from gateway.analytics.forwarding import ga4\n",
            "analytics/intake/pipeline.py: the intake imports the forwarding half "
            "(gateway.analytics.forwarding)",
        ),
    ],
)
def test_the_check_sees_each_kind_of_crossing(where: str, source: str, expected: str) -> None:
    assert expected in violations(GATEWAY / where, source)


def test_what_the_rule_allows() -> None:
    # A face may use the shell and another face's services and models.
    allowed = (
        "from gateway.admin.auth import login_required\n"
        "from gateway.consent.services import current_state\n"
        "from gateway.policy import store\n"
    )
    assert violations(GATEWAY / "contact" / "staff_views.py", allowed) == []
    # The factory composes the faces.
    assert violations(GATEWAY / "__init__.py", "from gateway import consent\n") == []
