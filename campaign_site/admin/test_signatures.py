"""Staff test signatures (petition/test_signatures.py holds the rules): open the public form
for a test, mark a signature as a test, erase every test with one click. All audited."""

from flask import current_app, flash, redirect, render_template, request, url_for

from campaign_site.accounts.audit import Action, record
from campaign_site.accounts.permissions import Permission
from campaign_site.admin import bp
from campaign_site.admin.access import requires
from campaign_site.admin.auth import current_admin
from campaign_site.languages import CODES, DEFAULT_LANGUAGE
from campaign_site.petition import test_signatures
from campaign_site.web.i18n import url_in
from campaign_site.web.template_filters import quantity


@bp.get("/test-signature")
@requires(Permission.FIGHT_FRAUD)
def test_signature_link():
    """The campaign page (in ?language=, English by default) with a token good for
    test_signatures.LINK_MINUTES: what is signed there is a test and never counts."""
    language = request.args.get("language", DEFAULT_LANGUAGE)
    if language not in CODES:
        language = DEFAULT_LANGUAGE
    token = test_signatures.new_link_token(current_admin().id)
    record(Action.TEST_LINK, f"language {language}")
    path = url_for("public.test_signature", token=token)[len(request.script_root) :]
    return redirect(url_in(language, path), code=303)


@bp.post("/test-signatures/erase")
@requires(Permission.FIGHT_FRAUD)
def erase_test_signatures():
    """Erase every staff test signature; no count moves (none of them counted)."""
    erased = test_signatures.erase_all()
    record(Action.TEST_ERASED, f"{erased} test signatures erased")
    current_app.logger.warning("%d test signatures erased by admin %s", erased, current_admin().id)
    flash(f"Erased {quantity(erased, 'test signature')}. The counts did not change.")
    return redirect(url_for("admin.fraud") + "#tests-title", code=303)


@bp.post("/signatures/<int:signature_id>/mark-test")
@requires(Permission.FIND_AND_ERASE, fresh=True)
def mark_test_signature(signature_id: int):
    """A signature a staffer made for a test: off the counts, out of the review queue."""
    marked = test_signatures.mark(signature_id)
    record(Action.TEST_MARKED, f"signature {signature_id}" + ("" if marked else ", no change"))
    if marked:
        message = (
            "The signature is now a test signature: it no longer counts, and "
            "“Erase all test signatures” on the Fraud and review page erases it."
        )
    else:
        message = "Nothing changed: that signature is gone or already a test signature."
    return render_template("message.html", title="Marked as a test", message=message)
