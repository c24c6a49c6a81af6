"""The signing reference: the petition endpoint as a tutorial would write it with Flask,
WTForms and SQLAlchemy (validate, insert one row, commit, redirect), on the same database
and the same durability (SQLite in WAL with synchronous=FULL, as the site). Nothing else:
no encryption, no blind index, no count shards, no mail queue, no rate limits, no bot trap.
`make bench` serves it under the same gunicorn settings as the site and compares."""

import os

from flask import Flask, redirect, request
from sqlalchemy import String, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from wtforms import BooleanField, EmailField, Form, StringField
from wtforms.validators import DataRequired, Email, Length


class Base(DeclarativeBase):
    pass


class NaiveSignature(Base):
    __tablename__ = "naive_signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    postcode_city: Mapped[str] = mapped_column(String(100))
    keep_informed: Mapped[bool]


class SignForm(Form):
    given_name = StringField(validators=[DataRequired(), Length(max=100)])
    family_name = StringField(validators=[Length(max=100)])
    email = EmailField(validators=[DataRequired(), Email(), Length(max=254)])
    country = StringField(validators=[DataRequired(), Length(min=2, max=2)])
    postcode_city = StringField(validators=[Length(max=100)])
    keep_informed = BooleanField()


def make_engine(url: str):
    engine = create_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _durable(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def create_schema(url: str) -> None:
    """Run once by the benchmark before the server starts."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


engine = (
    make_engine(os.environ["NAIVE_DATABASE_URL"]) if "NAIVE_DATABASE_URL" in os.environ else None
)
app = Flask(__name__)


@app.get("/")
def ready():
    return "ready"  # for the harness's start-up check


@app.post("/sign")
def sign():
    form = SignForm(request.form)
    if not form.validate():
        return "invalid", 422
    with Session(engine) as session:
        session.add(
            NaiveSignature(
                given_name=form.given_name.data,
                family_name=form.family_name.data,
                email=form.email.data,
                country=form.country.data,
                postcode_city=form.postcode_city.data,
                keep_informed=form.keep_informed.data,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    return redirect("/thank-you", code=303)
