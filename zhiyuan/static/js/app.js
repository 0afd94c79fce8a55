// Small progressive enhancements; every page works without them.
document.addEventListener("click", function (e) {
  var t = e.target.closest("[data-toggle]");
  if (!t) return;
  var el = document.getElementById(t.getAttribute("data-toggle"));
  if (!el) return;
  var open = el.classList.toggle("open");
  t.setAttribute("aria-expanded", open ? "true" : "false");
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
