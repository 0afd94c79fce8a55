// Small progressive enhancements; every page works without them.
document.addEventListener("click", function (e) {
  var t = e.target.closest("[data-toggle]");
  if (!t) return;
  var el = document.getElementById(t.getAttribute("data-toggle"));
  if (!el) return;
  var open = el.classList.toggle("open");
  t.setAttribute("aria-expanded", open ? "true" : "false");
});
// The desktop menu's drop-downs (管理, 我的账户): a click elsewhere or Escape folds an open one.
function closeNavGroups(except) {
  document.querySelectorAll(".navgroup > ul.open").forEach(function (ul) {
    if (ul === except) return;
    ul.classList.remove("open");
    var b = ul.parentNode.querySelector("[data-toggle]");
    if (b) b.setAttribute("aria-expanded", "false");
  });
}
document.addEventListener("click", function (e) {
  var group = e.target.closest && e.target.closest(".navgroup");
  closeNavGroups(group ? group.querySelector("ul") : null);
});
document.addEventListener("keydown", function (e) {
  if (e.key === "Escape") closeNavGroups(null);
});
document.addEventListener("click", function (e) {
  var t = e.target.closest("[data-confirm]");
  if (t && !window.confirm(t.getAttribute("data-confirm"))) e.preventDefault();
});
// Object pickers (core.picker): Enter in the search box searches instead of submitting the form.
document.addEventListener("keydown", function (e) {
  if (e.key !== "Enter" || !e.target.closest) return;
  var box = e.target.closest("[data-picker-search]");
  if (!box) return;
  e.preventDefault();
  if (window.htmx) window.htmx.trigger(box, "picker-search");
});
// A form that comes back with errors: its summary (templates/partials/_error_summary.html) takes
// the focus, so the first thing seen and read out is what to fix; its links jump to each field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.scrollIntoView({ block: "start" }); summary.focus({ preventScroll: true }); }
});
document.addEventListener("click", function (e) {
  var a = e.target.closest("[data-error-summary] a[href^='#']");
  if (!a) return;
  var field = document.getElementById(a.getAttribute("href").slice(1));
  if (!field) return;
  e.preventDefault();
  var details = field.closest("details");
  if (details) details.open = true;
  field.scrollIntoView({ block: "center" });
  field.focus();
});
