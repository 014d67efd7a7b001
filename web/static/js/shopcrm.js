/* ShopCRM's page behaviour, loaded on every page. No inline scripts: the CSP allows none. */
(function () {
  "use strict";

  /* Send the CSRF token (from <meta name="csrf-token">) with every htmx request that changes
     something; Flask-WTF reads it from the X-CSRFToken header. */
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var verb = String(event.detail.verb || "").toLowerCase();
    if (meta && verb !== "get") {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });

  /* Ask before submitting a form marked data-confirm="question". */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* An htmx request that failed says so at the top of the page. */
  function showRequestError() {
    var box = document.getElementById("request-error");
    if (box) {
      box.textContent = document.body.getAttribute("data-request-failed");
      box.hidden = false;
    }
  }
  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);
})();
