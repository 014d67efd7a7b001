/* The dashboard's period form: picking a date asks for a custom period. (Its charts are drawn by
   charts.js.) */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  ["period-from", "period-to"].forEach(function (id) {
    var input = document.getElementById(id);
    var preset = document.getElementById("period");
    if (input && preset) {
      input.addEventListener("change", function () { preset.value = "custom"; });
    }
  });
});
