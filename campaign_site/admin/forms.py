"""The admin forms: login, finding a supporter by email, the site notice."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from campaign_site.languages import CODES, DEFAULT_LANGUAGE, LANGUAGES, TRANSLATED, Language
from campaign_site.petition.signing_state import PAUSE_REASON_MAX
from campaign_site.text import clean_text


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Please enter your email address."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Please enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class FindSignatureForm(FlaskForm):
    """An address whose signature an admin must find (e.g. its owner asked for erasure)."""

    email = EmailField(
        "Supporter's email address",
        validators=[DataRequired("Please enter the supporter's email address."), Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


NOTICE_MAX = 250  # petition/site_notice.py stores one setting per language


class SiteNoticeForm(FlaskForm):
    """The site-wide notice, for incidents: a text per language (made from the registry
    below the class); English is shown where a language has none."""

    def validate(self, extra_validators=None) -> bool:
        """A translation without the English text would leave English pages without it."""
        if not super().validate(extra_validators):
            return False
        texts = self.texts()
        if any(texts[code] for code in TRANSLATED) and not texts[DEFAULT_LANGUAGE]:
            self[DEFAULT_LANGUAGE].errors = [
                "Write the English text too: it is shown to every other language."
            ]
            return False
        return True

    def language_fields(self) -> list:
        """The text boxes, English first."""
        return [self[code] for code in CODES]

    def texts(self) -> dict[str, str]:
        return {code: (self[code].data or "").strip() for code in CODES}


def _notice_field(language: Language) -> TextAreaField:
    label = (
        f"{language.english_name} (shown on every page whose language has no text of its own)"
        if language.code == DEFAULT_LANGUAGE
        else f"{language.english_name} (optional)"
    )
    return TextAreaField(
        label,
        validators=[Length(max=NOTICE_MAX, message=f"Keep it under {NOTICE_MAX} characters.")],
    )


for _language in LANGUAGES:
    setattr(SiteNoticeForm, _language.code, _notice_field(_language))


class CodeForm(FlaskForm):
    """The second factor: the six digits of the authenticator app, or a recovery code."""

    code = StringField(
        "Code from your authenticator app (or a recovery code)",
        validators=[DataRequired("Please enter the code."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )


class ReauthForm(FlaskForm):
    """Password (and code) again, before personal data is exported or searched."""

    password = PasswordField(
        "Password",
        validators=[DataRequired("Please enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        "Code from your authenticator app (or a recovery code)",
        validators=[Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


class PauseForm(FlaskForm):
    """Pause signing, with a short reason every admin page shows while it lasts."""

    pause_reason = StringField(  # not "reason": the fraud page's own form has one
        "Reason (optional)",
        filters=[clean_text],
        validators=[
            Length(
                max=PAUSE_REASON_MAX,
                message=f"Please keep the reason to {PAUSE_REASON_MAX} characters or fewer.",
            )
        ],
        render_kw={"autocomplete": "off", "maxlength": PAUSE_REASON_MAX},
    )
