/* The charts of every page (dashboard, automations, campaign report), drawn with the vendored
   Chart.js from the spec each canvas carries in its data-chart attribute: type, labels and one
   dataset per series (label, data, and optionally money and color); optionally horizontal,
   stacked, and legend (shown anyway when there is more than one series). Sales (money) go on
   their own axis on the left, counts on the right, when a chart has both.
   The same figures are always in a table beside the chart. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var colours = ["rgba(255, 106, 0, 0.75)", "rgba(37, 99, 235, 0.7)", "rgba(22, 163, 74, 0.7)"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var mixed = spec.datasets.length > 1 && spec.datasets.some(function (d) { return d.money; }) &&
      spec.datasets.some(function (d) { return !d.money; });
    var datasets = spec.datasets.map(function (dataset, index) {
      var drawn = {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: dataset.color || colours[index % colours.length],
        borderColor: dataset.color || colours[index % colours.length],
        borderRadius: 3,
        maxBarThickness: 18
      };
      if (mixed) {
        drawn.yAxisID = dataset.money ? "y" : "y1";
        if (!dataset.money) {
          drawn.type = "line";
          drawn.tension = 0.2;
        }
      }
      return drawn;
    });
    var scales = {};
    if (spec.horizontal) {  // a bar per row, each tall enough for its label (31 provinces, say)
      var box = canvas.parentNode;
      box.style.height = Math.max(box.clientHeight, spec.labels.length * 22 + 48) + "px";
      scales = { x: { beginAtZero: true }, y: { grid: { display: false }, ticks: { autoSkip: false } } };
    } else {
      scales = {
        y: { beginAtZero: true, suggestedMax: 5, stacked: spec.stacked },
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 }, stacked: spec.stacked }
      };
      if (mixed) {
        scales.y1 = { beginAtZero: true, position: "right", grid: { display: false }, ticks: { precision: 0 } };
      }
    }
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.datasets.length > 1 || Boolean(spec.legend) } },
        scales: scales
      }
    });
  });
});
