"""Error pages speak the visitor's language (ru/en, from Accept-Language or ?lang)."""

from __future__ import annotations

from flask import Flask


def test_404_and_405_pages_in_the_visitors_language(app: Flask) -> None:
    client = app.test_client()
    ru = client.get("/no-such-page", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert ru.status_code == 404
    page = ru.get_data(as_text=True)
    assert "Страница не найдена" in page
    assert '<html lang="ru">' in page
    en = client.get("/no-such-page", headers={"Accept-Language": "en-GB"})
    assert "Page not found" in en.get_data(as_text=True)
    wrong = client.delete("/privacy?lang=ru")
    assert wrong.status_code == 405
    assert "Эта страница не принимает такой запрос" in wrong.get_data(as_text=True)
    assert "Allow" in wrong.headers
