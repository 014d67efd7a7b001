/* The dashboard's orders-per-day chart, drawn with the vendored Chart.js from the figures the
   page carries in data attributes. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var canvas = document.getElementById("orders-chart");
  if (!canvas || typeof window.Chart === "undefined") {
    return;
  }
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: JSON.parse(canvas.getAttribute("data-labels")),
      datasets: [{
        label: canvas.getAttribute("data-series"),
        data: JSON.parse(canvas.getAttribute("data-values")),
        backgroundColor: "rgba(255, 106, 0, 0.75)",
        borderRadius: 3,
        maxBarThickness: 18
      }]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      scales: {
        y: { beginAtZero: true, suggestedMax: 5, ticks: { precision: 0 } },
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } }
      }
    }
  });
});
