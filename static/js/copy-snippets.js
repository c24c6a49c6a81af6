/* The admin's Partners page: "Copy" buttons beside the snippets' readonly textareas, with a
   spoken confirmation. Without this script (or a clipboard) the buttons stay hidden and the
   code can be selected and copied by hand. */
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy-snippet]").forEach(function (button) {
    var textarea = document.getElementById(button.getAttribute("data-copy-snippet"));
    var status = document.getElementById(button.getAttribute("aria-describedby"));
    if (!textarea || !status) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(textarea.value).then(function () {
        status.textContent = status.getAttribute("data-copied-message");
      }, function () {
        textarea.select();  // the browser refused: leave it selected for Ctrl+C
      });
    });
  });
})();
