"""The contact form: fields, and checks that speak the visitor's language."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import request
from flask_wtf.csrf import validate_csrf
from wtforms import HiddenField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice

from gateway.consent.services import normalise_consent_id
from gateway.contact.models import REQUEST_TYPES
from gateway.contact.services import clean_text
from gateway.contact.texts import texts, type_label
from gateway.forms import TextForm

EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]{2,}$")
# Types where a request means nothing without words.
MESSAGE_REQUIRED = ("rectify", "question", "other")
MAX_LENGTHS = {"email": 254, "name": 200, "message": 5000, "contract_number": 64}


class ContactForm(TextForm):  # type: ignore[misc]
    email = StringField()
    name = StringField()
    request_type = SelectField(
        choices=[SelectChoice(t, t) for t in REQUEST_TYPES], validate_choice=False
    )
    message = TextAreaField()
    contract_number = StringField()
    service_date = StringField()
    consent_id = StringField()
    # Invisible to people, filled by bots that fill every field.
    website = StringField()
    # Signed time the form was shown (see views: minimum fill time).
    started = HiddenField()

    def __init__(self, *args: Any, lang: str = "en", today: date | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lang = lang
        self.today = today or date.today()
        self.request_type.choices = [SelectChoice(t, type_label(lang, t)) for t in REQUEST_TYPES]
        self.parsed_service_date: date | None = None

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        t = texts(self.lang)
        for name in ("email", "name", "message", "contract_number", "service_date", "consent_id"):
            field = getattr(self, name)
            field.data = clean_text(field.data or "").strip()
        for name, limit in MAX_LENGTHS.items():
            field = getattr(self, name)
            if len(field.data) > limit:
                field.errors.append(t["too_long"].format(max=limit))
        if not self.email.data:
            self.email.errors.append(t["required"])
        elif not EMAIL.match(self.email.data):
            self.email.errors.append(t["bad_email"])
        kind = self.request_type.data
        if kind not in REQUEST_TYPES:
            self.request_type.errors.append(t["bad_type"])
        if kind in MESSAGE_REQUIRED and not self.message.data:
            self.message.errors.append(t["message_required"])
        if kind == "refund":
            if not self.contract_number.data:
                self.contract_number.errors.append(t["required"])
            if not self.service_date.data:
                self.service_date.errors.append(t["required"])
            else:
                try:
                    parsed = date.fromisoformat(self.service_date.data)
                except ValueError:
                    self.service_date.errors.append(t["bad_date"])
                else:
                    if parsed > self.today:
                        self.service_date.errors.append(t["future_date"])
                    else:
                        self.parsed_service_date = parsed
        consent_id = self.consent_id.data
        if kind == "withdraw-consent" and consent_id:
            # Any case, with or without dashes or spaces: stored as the banner shows it.
            normalised = normalise_consent_id(consent_id)
            if normalised is None:
                self.consent_id.errors.append(t["bad_consent_id"])
            else:
                self.consent_id.data = normalised
        return not self.has_errors

    @property
    def has_errors(self) -> bool:
        return any(field.errors for field in self)

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {field.name: list(field.errors) for field in self if field.errors}


def csrf_token_valid() -> bool:
    """The posted form's CSRF token, checked by the view itself.

    Views that take long texts check it themselves instead of letting
    CSRFProtect answer 400, so an expired form is shown again with the text kept.
    """
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:
        return False
    return True
