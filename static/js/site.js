/* campaign_site: small progressive enhancements. The page works fully without this file. */
(function () {
  "use strict";

  var REFRESH_MS = 30000;

  function formatThousands(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  /* Keep the signature count fresh while the page is open (never while it is hidden). */
  function startCountRefresh() {
    var tally = document.querySelector("[data-count-url]");
    if (!tally || !window.fetch) return;
    var countEl = tally.querySelector("[data-count]");
    var phraseEl = tally.querySelector("[data-count-phrase]");
    var bar = tally.querySelector("progress");

    function refresh() {
      if (document.hidden) return;
      fetch(tally.getAttribute("data-count-url"), { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || typeof data.count !== "number") return;
          countEl.textContent = formatThousands(data.count);
          if (phraseEl) phraseEl.textContent = data.count === 1 ? "person has signed" : "people have signed";
          if (bar) {
            bar.max = data.goal;
            bar.value = Math.min(data.count, data.goal);
            bar.textContent = formatThousands(data.count) + " of " + formatThousands(data.goal);
          }
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }
    window.setInterval(refresh, REFRESH_MS);
    document.addEventListener("visibilitychange", refresh);
  }

  /* Check the email address as the supporter leaves the field; the server still decides. */
  var EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
  var EMAIL_MESSAGE = "Enter an email address like name@example.org";

  function startEmailCheck() {
    var input = document.getElementById("email");
    if (!input) return;
    var field = input.closest(".field");
    var errorId = "email-error";

    function showError() {
      var error = document.getElementById(errorId);
      if (!error) {
        error = document.createElement("p");
        error.className = "field__error";
        error.id = errorId;
        error.setAttribute("role", "alert");
        input.parentNode.insertBefore(error, input);
      }
      error.textContent = "";
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = "Error:";
      error.appendChild(hidden);
      error.appendChild(document.createTextNode(" " + EMAIL_MESSAGE));
      field.classList.add("field--error");
      input.setAttribute("aria-invalid", "true");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(errorId) < 0) described.push(errorId);
      input.setAttribute("aria-describedby", described.join(" "));
    }

    function clearError() {
      var error = document.getElementById(errorId);
      if (error) error.parentNode.removeChild(error);
      field.classList.remove("field--error");
      input.setAttribute("aria-invalid", "false");
      var described = (input.getAttribute("aria-describedby") || "").split(" ")
        .filter(function (id) { return id && id !== errorId; });
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }

    // Pressing Sign blurs the field first; an error shown then would push the button down
    // under the pointer and swallow the click. The server checks the address anyway.
    var pressingSubmit = false;
    var form = input.form;
    if (form) {
      form.addEventListener("mousedown", function (event) {
        pressingSubmit = !!(event.target.closest && event.target.closest("[type=submit]"));
      });
    }

    input.addEventListener("blur", function () {
      if (pressingSubmit) { pressingSubmit = false; return; }
      var value = input.value.trim();
      if (value && !EMAIL_SHAPE.test(value)) showError();
      else if (value) clearError();
    });
  }

  /* Hide the phone's "Sign the petition" bar while the form itself is on screen. */
  function startSignBar() {
    var bar = document.querySelector("[data-sign-bar]");
    var form = document.getElementById("sign");
    if (!bar || !form || !window.IntersectionObserver) return;
    new IntersectionObserver(function (entries) {
      bar.hidden = entries[0].isIntersecting;
    }).observe(form);
  }

  startCountRefresh();
  startSignBar();
  startEmailCheck();
})();
