"""What the anonymizer's tests share: a pipeline context, and a spy on a rule's calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest

from gateway.analytics.intake.pipeline import Context
from gateway.sites import Site
from gateway.useragent import DeviceFacts

ORIGIN = "https://hottelecom.example"


def pipeline_context(query_allowlist: tuple[str, ...] = ()) -> Context:
    """A consented desktop visitor's context on the HotTelecom site, at a fixed time."""
    return Context(
        site=Site("hottelecom", "HotTelecom", (ORIGIN,), ("ru",), query_allowlist=query_allowlist),
        device=DeviceFacts("Chrome", "131", "Windows", "desktop"),
        location=None,
        now=datetime(2026, 11, 25, 12, 0),
        key=b"k" * 32,
        window_seconds=3600,
    )


def record_calls(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> list[Any]:
    """The first arguments ``module.name`` is called with from now on (it still runs)."""
    calls: list[Any] = []
    real: Callable[..., Any] = getattr(module, name)

    def recording(first: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(first)
        return real(first, *args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls
