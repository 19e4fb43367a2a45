// Charts of the supervision report page (/reports/monthly), drawn from its JSON island
// (#report-data) with the vendored ECharts; the figures are also in the page's tables.
(function () {
  "use strict";

  var ORDER = ["green", "blue", "yellow", "red", "black"];

  function chart(utility, name) {
    var el = document.getElementById("chart-" + utility + "-" + name);
    return el ? echarts.init(el) : null;
  }

  function word(data, group, key) {
    return (data.words[group] && data.words[group][key]) || key;
  }

  function levels(data, report) {
    var c = chart(report.utility, "levels");
    if (!c) { return; }
    c.setOption({
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{
        type: "pie", radius: ["40%", "70%"],
        data: report.levels.distribution.filter(function (d) { return d.count; }).map(function (d) {
          return { name: word(data, "level", d.level), value: d.count, itemStyle: { color: data.colours[d.level] } };
        })
      }]
    });
  }

  function transitions(data, report) {
    var c = chart(report.utility, "transitions");
    if (!c) { return; }
    // x: last month's level; stacked bars: this month's level (null: not rated on that side).
    var sides = ORDER.concat([null]);
    var name = function (l) { return l === null ? word(data, "series", "none") : word(data, "level", l); };
    var cells = report.levels.transitions;
    var from = sides.filter(function (l) { return cells.some(function (t) { return t.from_level === l; }); });
    var to = sides.filter(function (l) { return cells.some(function (t) { return t.to_level === l; }); });
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 50, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "category", data: from.map(name) },
      yAxis: { type: "value", minInterval: 1 },
      series: to.map(function (b) {
        return {
          name: name(b), type: "bar", stack: "to",
          itemStyle: b === null ? {} : { color: data.colours[b] },
          data: from.map(function (a) {
            var cell = cells.find(function (t) { return t.from_level === a && t.to_level === b; });
            return cell ? cell.count : 0;
          })
        };
      })
    });
  }

  function records(data, report) {
    var c = chart(report.utility, "records");
    if (!c) { return; }
    var cells = report.records.cells;
    var kinds = Array.from(new Set(cells.map(function (r) { return r.kind; })));
    var classes = Array.from(new Set(cells.map(function (r) { return r.record_class; })));
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 50, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "category", data: kinds.map(function (k) { return word(data, "kind", k); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: classes.map(function (cls) {
        return {
          name: word(data, "class", cls), type: "bar", stack: "class",
          data: kinds.map(function (k) {
            var cell = cells.find(function (r) { return r.kind === k && r.record_class === cls; });
            return cell ? cell.count : 0;
          })
        };
      })
    });
  }

  function cases(data, report) {
    var c = chart(report.utility, "cases");
    if (!c) { return; }
    var groups = ["objections", "repairs"];
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 50, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "category", data: groups.map(function (g) { return word(data, "series", g); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [["filed", "filed"], ["decided", "decided"], ["on_time", "decided_on_time"]].map(function (s) {
        return {
          name: word(data, "series", s[0]), type: "bar",
          data: groups.map(function (g) { return report[g][s[1]]; })
        };
      })
    });
  }

  function notices(data, report) {
    var c = chart(report.utility, "notices");
    if (!c) { return; }
    var channels = report.notices.channels;
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 50, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "category", data: channels.map(function (ch) { return word(data, "channel", ch.channel); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: ["sent", "delivered", "failed"].map(function (s) {
        return { name: word(data, "series", s), type: "bar", data: channels.map(function (ch) { return ch[s]; }) };
      })
    });
  }

  function batches(data, report) {
    var c = chart(report.utility, "batches");
    if (!c) { return; }
    var answered = report.exchange.batches.filter(function (b) { return b.error_rate; });
    c.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 20, bottom: 40 },
      xAxis: { type: "category", data: answered.map(function (b) { return "#" + b.id + " " + b.kind; }) },
      yAxis: { type: "value", max: 100 },
      series: [{
        name: word(data, "series", "error_rate"), type: "bar",
        // the exact fraction as a percentage, for drawing only
        data: answered.map(function (b) {
          var r = b.error_rate;
          return r.denominator ? (100 * r.numerator) / r.denominator : 0;
        })
      }]
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var island = document.getElementById("report-data");
    if (!island || typeof echarts === "undefined") { return; }
    var data = JSON.parse(island.textContent);
    data.reports.forEach(function (report) {
      [levels, transitions, records, cases, notices, batches].forEach(function (draw) { draw(data, report); });
    });
  });
})();
