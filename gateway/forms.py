"""The base of the HTML forms: fields are read from the posted form fields only."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TextForm(FlaskForm):  # type: ignore[misc]
    """Flask-WTF also fills a form from uploaded files and JSON bodies, where a field
    may hold a file, a number, a list or a whole array: none of that is what a
    browser sends from these pages, and the checks expect text. A file or JSON
    body therefore fills nothing, and the form's own checks say what is missing."""

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is not _Auto:
                return formdata
            return request.form if request.method in SUBMIT_METHODS else None
