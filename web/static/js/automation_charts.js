/* The automations page's chart: messages sent and delivered per day, drawn with the vendored
   Chart.js from the figures the canvas carries in data attributes. The same figures are in the
   table beside the chart. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  document.querySelectorAll("canvas.automation-chart").forEach(function (canvas) {
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: JSON.parse(canvas.getAttribute("data-labels")),
        datasets: [{
          label: canvas.getAttribute("data-sent-label"),
          data: JSON.parse(canvas.getAttribute("data-sent")),
          backgroundColor: "rgba(255, 106, 0, 0.75)",
          borderRadius: 3,
          maxBarThickness: 22
        }, {
          label: canvas.getAttribute("data-delivered-label"),
          data: JSON.parse(canvas.getAttribute("data-delivered")),
          backgroundColor: "rgba(11, 83, 148, 0.7)",
          borderRadius: 3,
          maxBarThickness: 22
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
