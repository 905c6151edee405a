/* Draws the ESG dashboard's charts with Chart.js from the figures the page carries (json_script). */
(function () {
  "use strict";

  var GREEN = "#2e7d32", AMBER = "#f0a500", RED = "#c62828", BLUE = "#1565c0", GREY = "#78909c",
    TEAL = "#00897b", PURPLE = "#6a1b9a";

  function chart(id, type, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    var base = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: type === "doughnut" || datasets.length > 1, position: "bottom" } }
    };
    if (type === "bar") {
      base.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    }
    new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: Object.assign(base, options || {})
    });
    canvas.setAttribute("data-rendered", "true");
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var s = data.suppliers, r = data.rectification, p = data.performance;

    chart("chart-risk", "doughnut", ["Low", "Medium", "High"], [{
      data: [s.by_risk_level.low, s.by_risk_level.medium, s.by_risk_level.high],
      backgroundColor: [GREEN, AMBER, RED]
    }]);
    chart("chart-region", "doughnut", ["Mainland China", "Other countries and regions"], [{
      data: [s.mainland_china, s.other_regions],
      backgroundColor: [RED, BLUE]
    }]);
    chart("chart-audits", "bar", data.audits_per_year.map(function (row) { return String(row.year); }), [{
      label: "Suppliers audited",
      data: data.audits_per_year.map(function (row) { return row.completed; }),
      backgroundColor: TEAL
    }]);
    chart("chart-performance", "doughnut", ["High performer", "Medium performer", "Low performer"], [{
      data: [p.high.count, p.medium.count, p.low.count],
      backgroundColor: [GREEN, AMBER, RED]
    }]);
    chart("chart-rectification", "bar", ["Closed on time", "Closed late", "Open within deadline", "Overdue"], [{
      label: "Findings",
      data: [r.closed_on_time, r.closed_late, r.open_within_deadline, r.overdue],
      backgroundColor: [GREEN, AMBER, BLUE, RED]
    }]);
    chart("chart-overdue", "bar", data.overdue_by_stage.map(function (row) { return row.name; }), [{
      label: "Overdue findings",
      data: data.overdue_by_stage.map(function (row) { return row.count; }),
      backgroundColor: [AMBER, RED, PURPLE, GREY]
    }]);
    var minerals = Object.keys(data.minerals.by_mineral || {});
    chart("chart-minerals", "bar", minerals.map(function (name) {
      return name.charAt(0).toUpperCase() + name.slice(1);
    }), [{
      label: "RMAP conformant",
      data: minerals.map(function (name) { return data.minerals.by_mineral[name].conformant; }),
      backgroundColor: GREEN
    }, {
      label: "Not conformant",
      data: minerals.map(function (name) {
        var row = data.minerals.by_mineral[name];
        return row.smelters - row.conformant;
      }),
      backgroundColor: GREY
    }], { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } });

    var filters = document.getElementById("dashboard-filters");
    if (filters) {
      filters.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { filters.submit(); });
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
