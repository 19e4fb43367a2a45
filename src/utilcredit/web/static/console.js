// Console behaviour without inline scripts (the pages' CSP allows only 'self' scripts).
(function () {
  "use strict";

  // htmx requests carry the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.dataset.csrf;
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });

  // Upload progress of the import form.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-progress");
    if (bar && event.detail.lengthComputable) {
      bar.hidden = false;
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });

  function toggleClauses() {
    var box = document.getElementById("show-all-clauses");
    if (!box) { return; }
    box.addEventListener("change", function () {
      var table = document.querySelector("table.clauses");
      if (table) { table.classList.toggle("show-all", box.checked); }
    });
  }

  function charts() {
    var island = document.getElementById("chart-data");
    if (!island || typeof echarts === "undefined") { return; }
    var data = JSON.parse(island.textContent);
    var order = ["green", "blue", "yellow", "red", "black"];
    var colour = function (level) { return data.colours[level]; };
    var label = function (level) { return data.labels[level] || level; };
    data.charts.forEach(function (chart) {
      var levelsEl = document.getElementById(chart.id + "-level");
      if (levelsEl) {
        var levels = order.filter(function (l) { return chart.by_level[l]; });
        echarts.init(levelsEl).setOption({
          tooltip: { trigger: "item" },
          legend: { bottom: 0 },
          series: [{
            type: "pie", radius: ["40%", "70%"],
            data: levels.map(function (l) {
              return { name: label(l), value: chart.by_level[l], itemStyle: { color: colour(l) } };
            })
          }]
        });
      }
      var areasEl = document.getElementById(chart.id + "-area");
      if (areasEl) {
        var areas = Object.keys(chart.by_area);
        echarts.init(areasEl).setOption({
          tooltip: { trigger: "axis" },
          legend: { bottom: 0 },
          grid: { left: 50, right: 20, top: 20, bottom: 60 },
          xAxis: { type: "category", data: areas, axisLabel: { interval: 0, rotate: areas.length > 6 ? 30 : 0 } },
          yAxis: { type: "value" },
          series: order.map(function (l) {
            return {
              name: label(l), type: "bar", stack: "levels", itemStyle: { color: colour(l) },
              data: areas.map(function (a) { return chart.by_area[a][l] || 0; })
            };
          })
        });
      }
    });
    // One chart per policy, each over its own runs' dates: a water run and a power run rate
    // different populations, so one line through both would jump between them.
    data.trend.forEach(function (line) {
      var trendEl = document.getElementById(line.id);
      if (!trendEl || !line.points.length) { return; }
      echarts.init(trendEl).setOption({
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        xAxis: { type: "category", data: line.points.map(function (r) { return r.as_of + " #" + r.run; }) },
        yAxis: { type: "value" },
        series: order.map(function (l) {
          return {
            name: label(l), type: "line", itemStyle: { color: colour(l) },
            data: line.points.map(function (r) { return r.levels[l] || 0; })
          };
        })
      });
    });
  }

  // A table wider than the screen scrolls inside its .table-scroll box; while it does, the box
  // takes the keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1).
  function focusableScrollers() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("htmx:afterSettle", focusableScrollers);
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      focusableScrollers();
      // Charts drawn at one width follow the window (a phone turned, a window narrowed).
      if (typeof echarts === "undefined") { return; }
      document.querySelectorAll("[_echarts_instance_]").forEach(function (el) {
        var chart = echarts.getInstanceByDom(el);
        if (chart) { chart.resize(); }
      });
    }, 150);
  });

  document.addEventListener("DOMContentLoaded", function () { toggleClauses(); charts(); focusableScrollers(); });
})();
