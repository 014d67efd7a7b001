/* Copy buttons: <button data-copy="ID"> copies the value of the field with that id, then says
   data-copied for a moment. Where the clipboard is not available (a page not served over HTTPS
   or from localhost) the field's text is selected and data-copy-failed says how to copy it. */
(function () {
  "use strict";

  function select(field) {
    field.focus();
    field.select();
  }

  function say(button, text) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    select(field);
    var failed = function () {
      select(field);
      say(button, button.getAttribute("data-copy-failed") || "");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        say(button, button.getAttribute("data-copied") || "");
      }, failed);
    } else {
      failed();
    }
  });

  /* Clicking into a copy field selects all of it. */
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field && field.id && document.querySelector('[data-copy="' + field.id + '"]')) {
      field.select();
    }
  });
})();
