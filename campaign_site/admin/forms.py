"""The admin forms: login, and finding a supporter by email."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


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
