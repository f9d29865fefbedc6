// Draws every chart of the dashboard from the JSON the page embeds, and offers each as PNG.
(function () {
  "use strict";
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var option = JSON.parse(document.getElementById(el.dataset.chart + "-option").textContent);
    if (option.pyramid) {
      // Men are drawn to the left as negative values; show them without the sign.
      // A count hidden for privacy comes as null: no bar, and "–" rather than 0.
      var plain = function (v) { return v == null ? "–" : Math.abs(v).toLocaleString(); };
      option.xAxis.axisLabel = { formatter: plain };
      option.tooltip = { trigger: "axis", valueFormatter: plain };
      delete option.pyramid;
    }
    // ECharts writes its default tooltip as HTML with style attributes, which the page's
    // Content-Security-Policy refuses: the tooltip is drawn on the canvas instead.
    [].concat(option.tooltip || []).forEach(function (tooltip) {
      tooltip.renderMode = "richText";
    });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
    var button = document.querySelector('[data-png="' + el.dataset.chart + '"]');
    if (button) {
      button.addEventListener("click", function () {
        var link = document.createElement("a");
        link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
        link.download = el.dataset.chart + ".png";
        document.body.appendChild(link);
        link.click();
        link.remove();
      });
    }
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
