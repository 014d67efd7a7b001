/* The template editor: buttons marked data-insert put their ${variable} into the text at the
   cursor; the input event they fire lets htmx refresh the preview as typing does. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert]") : null;
    var text = document.getElementById("text");
    if (!button || !text) {
      return;
    }
    event.preventDefault();
    var insert = button.getAttribute("data-insert");
    var start = text.selectionStart === undefined ? text.value.length : text.selectionStart;
    var end = text.selectionEnd === undefined ? text.value.length : text.selectionEnd;
    text.value = text.value.slice(0, start) + insert + text.value.slice(end);
    text.focus();
    text.selectionStart = text.selectionEnd = start + insert.length;
    text.dispatchEvent(new Event("input", { bubbles: true }));
  });

  /* The subject is asked for only when the chosen channel's messages have one (email). */
  document.addEventListener("change", function (event) {
    var subject = document.getElementById("subject-field");
    if (!subject || !event.target || event.target.id !== "channel") {
      return;
    }
    var channels = (subject.getAttribute("data-subject-channels") || "").split(" ");
    subject.hidden = channels.indexOf(event.target.value) < 0;
  });
})();
