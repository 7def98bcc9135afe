/* gradtrace mkdocs plugin: a figure or formula wider than the column says that it scrolls
 * sideways (it fades out on the side with more to see; a figure's caption says so), and can be
 * scrolled with the keyboard (it becomes a focusable, named region). */
(function () {
  "use strict";

  var SCROLLERS = [
    ".gradtrace-pan",
    ".gradtrace-math",
    ".gradtrace-widget .gt-figure",
    ".gradtrace-widget .gt-table-wrap", // the live demo's table, five columns with a nudge
    ".md-typeset pre > code",
    ".md-typeset__scrollwrap", // mkdocs-material's box around a wide table
  ].join(", ");

  function flag(el, name, on) {
    if (!el) return;
    if (on) el.setAttribute(name, "");
    else el.removeAttribute(name);
  }

  function update(scroller) {
    var room = scroller.scrollWidth - scroller.clientWidth;
    var overflows = room > 1;
    if (overflows && !scroller.hasAttribute("tabindex")) {
      scroller.setAttribute("tabindex", "0");
      scroller.setAttribute("role", "region");
      var what = scroller.classList.contains("gradtrace-math") ? "Formula"
        : scroller.tagName === "CODE" ? "Code"
        : scroller.classList.contains("md-typeset__scrollwrap") ? "Table" : "Figure";
      scroller.setAttribute("aria-label", what + " (scrolls sideways)");
    }
    flag(scroller.closest(".gradtrace-figure"), "data-overflow", overflows);
    flag(scroller, "data-more-left", overflows && scroller.scrollLeft > 1);
    flag(scroller, "data-more-right", overflows && scroller.scrollLeft < room - 1);
  }

  var watched = [];

  /** Watch every scroller not watched yet (the theme wraps tables after the page loads). */
  function start() {
    document.querySelectorAll(SCROLLERS).forEach(function (scroller) {
      if (watched.indexOf(scroller) < 0) {
        watched.push(scroller);
        scroller.addEventListener("scroll", function () { update(scroller); }, { passive: true });
      }
      update(scroller);
    });
  }

  window.addEventListener("resize", function () { watched.forEach(update); });
  window.addEventListener("load", start);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
