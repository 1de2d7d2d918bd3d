// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});

// Printed reports show every "why" drill-down: open them before printing.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.why").forEach(function (d) { d.open = true; });
});
