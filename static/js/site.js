/* campaign_site: small progressive enhancements. The page works fully without this file. */
(function () {
  "use strict";

  var REFRESH_MS = 30000;

  var LANG = document.documentElement.lang || "en";

  function formatThousands(n) {
    return window.Intl ? new Intl.NumberFormat(LANG).format(n) : String(n);
  }

  /* The server gives the phrase for each plural category of the page's language. */
  function countPhrase(tally, n) {
    var category = window.Intl && Intl.PluralRules ? new Intl.PluralRules(LANG).select(n) : (n === 1 ? "one" : "other");
    return tally.getAttribute("data-phrase-" + category) || tally.getAttribute("data-phrase-other");
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
      // no-cache: asks again (a cheap 304 when unchanged) rather than trust the browser's copy
      fetch(tally.getAttribute("data-count-url"), { credentials: "omit", cache: "no-cache" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || typeof data.count !== "number") return;
          countEl.textContent = formatThousands(data.count);
          var phrase = countPhrase(tally, data.count);
          if (phraseEl && phrase) phraseEl.textContent = phrase;
          if (bar) {
            bar.max = data.goal;
            bar.value = Math.min(data.count, data.goal);
          }
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }
    refresh();  // the page may come from a cache: its count can be a minute old
    window.setInterval(refresh, REFRESH_MS);
    document.addEventListener("visibilitychange", refresh);
  }

  /* Check the email address as the supporter leaves the field; the server still decides. */
  var EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

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
      hidden.textContent = input.getAttribute("data-error-prefix") || "Error:";
      error.appendChild(hidden);
      error.appendChild(document.createTextNode(" " + (input.getAttribute("data-invalid-message") || "name@example.org")));
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

  /* Show the phone's "Sign the petition" bar only while no part of the hero is on screen:
     the hero holds the headline's call, the count and the whole form, so the bar can never
     cover a field, an error message or the progress bar (tests/test_browser.py checks). */
  function startSignBar() {
    var bar = document.querySelector("[data-sign-bar]");
    var hero = document.querySelector(".hero");
    if (!bar || !hero || !window.IntersectionObserver) return;
    new IntersectionObserver(function (entries) {
      bar.hidden = entries[0].isIntersecting;
    }).observe(hero);
  }

  /* Trailers: nothing is requested from the video host until the visitor presses play. */
  function startTrailers() {
    var links = document.querySelectorAll("[data-trailer-src]");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var frame = document.createElement("iframe");
        frame.src = link.getAttribute("data-trailer-src");
        frame.title = link.getAttribute("data-trailer-title");
        frame.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
        frame.referrerPolicy = "strict-origin-when-cross-origin";
        frame.setAttribute("allowfullscreen", "");
        var box = link.closest("[data-trailer]");
        box.replaceChild(frame, link);
        frame.focus();
      });
    });
  }

  /* "Copy link" beside the share links, with a spoken confirmation. */
  function startCopyLink() {
    var button = document.querySelector("[data-copy-link]");
    if (!button || !navigator.clipboard) return;
    var input = document.getElementById(button.getAttribute("data-copy-link"));
    var status = button.closest(".copy-link").querySelector("[role=status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        status.textContent = status.getAttribute("data-copied-message");
      }, function () {
        input.select();  // the browser refused: leave it selected for Ctrl+C
      });
    });
  }

  /* The browser's own share sheet, where it has one (most phones): shown only then. */
  function startWebShare() {
    var button = document.querySelector("[data-web-share]");
    if (!button || typeof navigator.share !== "function") return;
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({
        text: button.getAttribute("data-share-text"),
        url: button.getAttribute("data-share-url")
      }).catch(function () { /* closed without sharing */ });
    });
  }

  /* Mastodon has no one address: the supporter types their own server. It is kept in this
     browser's localStorage only, and no server is asked anything until they press the
     button, which opens https://SERVER/share?text=... A server is a host name with a dot:
     no scheme, port, path, user or IP address gets through. */
  var MASTODON_KEY = "mastodon-server";
  var HOST_NAME = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

  function mastodonServer(typed) {
    var host = String(typed).trim().toLowerCase()
      .replace(/^https:\/\//, "").replace(/\/+$/, "");
    host = host.slice(host.lastIndexOf("@") + 1);  // "@me@example.social" names the server too
    return HOST_NAME.test(host) ? host : null;
  }

  function startMastodonShare() {
    var form = document.querySelector("[data-mastodon-share]");
    if (!form) return;
    var input = form.querySelector("input");
    var error = form.querySelector("[data-mastodon-error]");
    try { input.value = window.localStorage.getItem(MASTODON_KEY) || ""; } catch (e) { /* blocked */ }
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var host = mastodonServer(input.value);
      if (!host) {
        error.textContent = error.getAttribute("data-message");
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      input.value = host;
      try { window.localStorage.setItem(MASTODON_KEY, host); } catch (e) { /* not kept */ }
      var text = form.getAttribute("data-share-text") + " " + form.getAttribute("data-share-url");
      window.open("https://" + host + "/share?text=" + encodeURIComponent(text), "_blank", "noopener");
    });
  }

  /* The page is the same for everyone, so it cannot carry a "form served at" stamp: fetch
     one at the visitor's first sign of life (scrolling, a tap, a key, a field), so a person
     who reads first and then lets the phone autofill is not taken for a bot
     (benchmarks/bot_trap.py). Without it a signature is still stored, marked for review. */
  var FIRST_SIGNS = ["scroll", "pointerdown", "keydown", "touchstart", "focusin"];

  function startFormStamp() {
    var field = document.querySelector("input[name=started]");
    if (!field || field.value || !window.fetch) return;
    function fetchStamp() {
      FIRST_SIGNS.forEach(function (type) { window.removeEventListener(type, fetchStamp, true); });
      fetch(field.getAttribute("data-stamp-url"), { credentials: "omit", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && data.stamp && !field.value) field.value = data.stamp; })
        .catch(function () { /* offline: the signature is only marked for review */ });
    }
    FIRST_SIGNS.forEach(function (type) {
      window.addEventListener(type, fetchStamp, { capture: true, passive: true });
    });
  }

  /* On an English page, offer the visitor's own language if the browser prefers one of ours. */
  function startLanguageSuggestion() {
    var box = document.querySelector("[data-lang-suggest]");
    if (!box) return;
    try {
      if (window.localStorage.getItem("lang-suggest-dismissed")) return;
    } catch (e) { /* storage blocked (an embed, private mode): offer anyway */ }
    var wanted = navigator.languages || [navigator.language || ""];
    for (var i = 0; i < wanted.length; i++) {
      var primary = String(wanted[i]).split(/[-_]/)[0].toLowerCase();
      if (primary === "en") return;
      var offer = box.querySelector('[data-suggest="' + primary + '"]');
      if (!offer) continue;
      offer.hidden = false;
      box.hidden = false;
      offer.querySelector("[data-suggest-dismiss]").addEventListener("click", function () {
        box.hidden = true;
        try { window.localStorage.setItem("lang-suggest-dismissed", "1"); } catch (e) { /* ignore */ }
      });
      return;
    }
  }

  startCountRefresh();
  startSignBar();
  startTrailers();
  startCopyLink();
  startWebShare();
  startMastodonShare();
  startEmailCheck();
  startFormStamp();
  startLanguageSuggestion();
})();
