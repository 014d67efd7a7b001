/* A campaign report's bar charts (buyers and sales by day after sending), drawn with the
   vendored Chart.js from the figures each canvas carries in data attributes. The same figures
   are in the table beside the charts. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  document.querySelectorAll("canvas.campaign-chart").forEach(function (canvas) {
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: JSON.parse(canvas.getAttribute("data-labels")),
        datasets: [{
          label: canvas.getAttribute("data-series"),
          data: JSON.parse(canvas.getAttribute("data-values")),
          backgroundColor: canvas.getAttribute("data-color"),
          borderRadius: 3,
          maxBarThickness: 28
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: true } },
        scales: {
          y: { beginAtZero: true, suggestedMax: 5 },
          x: { grid: { display: false } }
        }
      }
    });
  });
});
