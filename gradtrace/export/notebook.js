/* gradtrace in Jupyter: the view of gradtrace.export.jupyter.LiveWidget (anywidget).
 *
 * gradtrace appends this text to widget.js, which defines window.gradtrace, to make the
 * widget's one ES module: nothing is fetched, from a CDN or elsewhere. The view puts the
 * widget fragment that Python made (to_html) into its element and starts it with the
 * browser API (window.gradtrace.start); the widget then runs as in the docs.
 *
 * Two-way: the input values the reader leaves (slider, number box, "Reset values") are
 * read from the controls (.gt-control[data-node] and its number box) and sent to
 * Python as `_inputs` ({node id: number}, non-finite numbers as "NaN" / "Infinity" /
 * "-Infinity"), at most every SYNC_MS; values set from Python are typed into the number
 * boxes, which recomputes the widget as typing would.
 */
const SYNC_MS = 80;

function encode(x) {
  return Number.isFinite(x) ? x : String(x);
}

function decode(x) {
  return typeof x === "number" ? x : Number(x);
}

/** A number as the widget's number box writes it: 0.2, -0.4, nan, inf, -inf. */
function typed(x) {
  if (Number.isFinite(x)) return String(x);
  return x !== x ? "nan" : x > 0 ? "inf" : "-inf";
}

function render({ model, el }) {
  const api = window.gradtrace;
  // Keys typed into the widget are the widget's (arrows move a slider), not the
  // notebook's: Lumino, JupyterLab's toolkit, skips shortcuts for elements marked so,
  // and the notebook's own key handler (arrows move between cells) never sees them.
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  el.addEventListener("keydown", (event) => event.stopPropagation());
  el.innerHTML = model.get("_html"); // made and escaped by gradtrace.export.widget
  const root = el.querySelector(".gradtrace-widget");
  if (!root) return undefined;
  const boxes = Array.from(root.querySelectorAll(".gt-control[data-node]"));
  const field = (box) => box.querySelector("input.gt-number");
  let applying = false;
  let timer = null;

  /** The inputs as the reader left them: node id → number (unparsable boxes left out). */
  function read() {
    const out = {};
    for (const box of boxes) {
      const v = api.parseNumber(field(box).value);
      if (v !== null) out[box.getAttribute("data-node")] = encode(v);
    }
    return out;
  }

  function send() {
    timer = null;
    model.set("_inputs", read());
    model.save_changes();
  }

  function changed() {
    if (!applying && timer === null) timer = setTimeout(send, SYNC_MS);
  }

  /** Show the values Python holds (set there, or by another view of this widget). */
  function apply() {
    const values = model.get("_inputs") || {};
    applying = true;
    try {
      for (const box of boxes) {
        const id = box.getAttribute("data-node");
        if (!Object.prototype.hasOwnProperty.call(values, id)) continue;
        const v = decode(values[id]);
        if (Object.is(api.parseNumber(field(box).value), v)) continue;
        field(box).value = typed(v);
        field(box).dispatchEvent(new Event("input", { bubbles: true }));
      }
    } finally {
      applying = false;
    }
  }

  el.addEventListener("input", changed);
  el.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest(".gt-reset-values")) changed();
  });
  api.start(root);
  apply();
  model.on("change:_inputs", apply);
  return () => {
    model.off("change:_inputs", apply);
    if (timer !== null) {
      clearTimeout(timer);
      send();
    }
    const widget = root.gradtraceWidget;
    if (widget && typeof widget.pause === "function") widget.pause();
  };
}

export default { render };
