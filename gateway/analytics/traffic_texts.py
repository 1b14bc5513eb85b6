"""Every word of the staff traffic page (/admin/traffic), in English and Russian."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Traffic",
        "lede": "Page views counted by the gateway itself, of every visitor, with or without "
        "consent. Every number is a sum of counts of at least {k} page views: rarer pages, "
        "sources, countries and devices are folded into (other). Nothing here depends on "
        "Google Analytics, so it works in dry-run too.",
        "updated": "Figures come in when an aggregate window closes (every {window} minutes, "
        "by `gateway forward`).",
        "scope_label": "Date range and site",
        "show": "Show",
        "csv": "Download CSV",
        "quick": "Quick ranges:",
        "all_sites": "all sites",
        "page_views": "page views",
        "per_day": "per day on average",
        "engaged": "seconds engaged per page view",
        "days": "days",
        "chart_days": "Page views per day",
        "series_views": "Page views",
        "day": "day",
        "numbers": "the numbers",
        "pages": "Top pages",
        "sources": "Sources",
        "countries": "Countries",
        "devices": "Device categories",
        "col_page_path": "page",
        "col_source_medium": "source / medium",
        "col_country": "country",
        "col_device_category": "device category",
        "col_views": "page views",
        "col_share": "share",
        "col_engaged": "engaged s / view",
        "more": "{n} page views on further rows (in the CSV)",
        "none": "No page views in this range yet.",
        "sources_note": "(direct) / (none): no referrer; (internal) / (none): a page reached "
        "from another page of the site; campaigns come from the allowlisted utm_ parameters.",
    },
    "ru": {
        "title": "Посещаемость",
        "lede": "Просмотры страниц, посчитанные самим шлюзом, — всех посетителей, давших "
        "согласие и нет. Каждое число — сумма счётчиков не меньше чем по {k} просмотрам: "
        "редкие страницы, источники, страны и устройства сведены в (other). От Google "
        "Analytics ничего не зависит, поэтому работает и в режиме dry-run.",
        "updated": "Данные появляются, когда закрывается окно агрегации (каждые {window} мин., "
        "`gateway forward`).",
        "scope_label": "Период и сайт",
        "show": "Показать",
        "csv": "Скачать CSV",
        "quick": "Быстрый выбор:",
        "all_sites": "все сайты",
        "page_views": "просмотров страниц",
        "per_day": "в среднем за день",
        "engaged": "секунд вовлечённости на просмотр",
        "days": "дней",
        "chart_days": "Просмотры по дням",
        "series_views": "Просмотры",
        "day": "день",
        "numbers": "числа",
        "pages": "Популярные страницы",
        "sources": "Источники",
        "countries": "Страны",
        "devices": "Типы устройств",
        "col_page_path": "страница",
        "col_source_medium": "источник / канал",
        "col_country": "страна",
        "col_device_category": "тип устройства",
        "col_views": "просмотры",
        "col_share": "доля",
        "col_engaged": "сек. вовлечённости / просмотр",
        "more": "ещё {n} просмотров в остальных строках (в CSV)",
        "none": "За этот период просмотров пока нет.",
        "sources_note": "(direct) / (none): без реферера; (internal) / (none): переход с "
        "другой страницы сайта; кампании берутся из разрешённых параметров utm_.",
    },
}
LANGUAGES = tuple(TEXTS)


def texts_for(lang: str | None) -> dict[str, str]:
    return TEXTS.get(lang or "", TEXTS["en"])
