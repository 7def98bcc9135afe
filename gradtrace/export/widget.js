/* gradtrace live widget.
 *
 * Reads a graph exported by gradtrace (the JSON schema of gradtrace/export/json.py),
 * recomputes the forward and backward pass in the browser whenever a reader moves a
 * control, and writes the new numbers into the SVG figure and the trace table in place.
 * It can also walk the backward pass one local rule at a time.
 *
 * Every operation follows the Python engine (gradtrace/engine.py) exactly, including its
 * IEEE edges (log 0 = -inf, 0 ** -1 = inf, (-8) ** (1/3) = nan, ...), so the page and the
 * engine agree to the last bit or within a few units in the last place of Math.exp & co.
 *
 * Safe to include several times on one page: the second copy only starts new widgets.
 */
(function () {
  "use strict";

  var VERSION = 1;
  var api = window.gradtrace || {};
  if (api.widgetVersion === VERSION) {
    api.startAll();
    return;
  }
  window.gradtrace = api;

  // -- numbers ------------------------------------------------------------------------

  /** JSON's stand-ins for non-finite numbers ("NaN", "Infinity", "-Infinity") → numbers. */
  function num(x) {
    return typeof x === "number" ? x : Number(x);
  }

  // Python formats the exact binary value, rounding exact ties to even; toFixed and
  // toExponential round ties away from zero. They agree everywhere else, so the fast
  // built-ins are used unless the number could be a tie, which is then done exactly.

  /** The exact decimal digits of a finite a ≥ 0: a = digits / 10^point. */
  function exact(a) {
    var k = 0;
    // Doubling is exact, and stops below 2^53; 2^k itself would overflow for tiny a.
    while (!Number.isInteger(a)) {
      a *= 2;
      k++;
    }
    var digits = (BigInt(a) * BigInt(5) ** BigInt(k)).toString();
    return { digits: digits, point: k };
  }

  /** Keep the first `keep` digits of a digit string, rounding half to even (may carry). */
  function roundDigits(digits, keep) {
    if (digits.length <= keep) return digits.padEnd(keep, "0");
    var head = keep > 0 ? BigInt(digits.slice(0, keep)) : BigInt(0);
    var rest = digits.slice(keep);
    var half = "5" + "0".repeat(rest.length - 1);
    if (rest > half || (rest === half && head % BigInt(2) === BigInt(1))) head += BigInt(1);
    return head.toString().padStart(keep, "0");
  }

  /** Python's `f"{x:.{p}f}"` for a finite x. */
  function fixed(x, p) {
    var sign = x < 0 || Object.is(x, -0) ? "-" : "";
    var a = Math.abs(x);
    // A tie at p decimals is a number whose a·2^(p+1) is an odd integer.
    var y = a * Math.pow(2, p + 1);
    if (!(Number.isInteger(y) && y % 2 === 1)) return sign + a.toFixed(p);
    var e = exact(a);
    var all = e.digits.padStart(e.point + 1, "0"); // at least one digit before the point
    var digits = roundDigits(all, all.length - e.point + p);
    var whole = digits.slice(0, digits.length - p) || "0";
    return sign + whole + (p > 0 ? "." + digits.slice(digits.length - p) : "");
  }

  /** Python's `f"{x:.{p}e}"` for a finite x ≠ 0 (gradtrace uses it from 10¹² up and for
   * non-zero numbers that fixed decimals would show as zero). */
  function scientific(x, p) {
    var sign = x < 0 || Object.is(x, -0) ? "-" : "";
    var a = Math.abs(x);
    var digits, e;
    if (a === 0) return sign + "0" + (p > 0 ? "." + "0".repeat(p) : "") + "e+00";
    // A tie needs a·10^(p−e)·2 to be an integer: only for integers, or when p ≥ e.
    if (!Number.isInteger(a) && a >= Math.pow(10, p + 1)) {
      var t = a.toExponential(p).split("e");
      digits = t[0].replace(".", "");
      e = Number(t[1]);
    } else {
      var d = exact(a);
      var text = d.digits.replace(/^0+/, "");
      e = text.length - d.point - 1;
      digits = roundDigits(text, p + 1);
      if (digits.length > p + 1) { // 9.99996e12 rounds up to 1.0000e+13
        digits = digits.slice(0, p + 1);
        e += 1;
      }
    }
    var exponent = (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
    return sign + digits[0] + (p > 0 ? "." + digits.slice(1) : "") + "e" + exponent;
  }

  /** Python's `f"{x:#.{p}g}"` for a finite x, with ".e" as "e" and no trailing point. */
  function significant(x, p) {
    p = Math.max(p, 1);
    if (x === 0) return fixed(x, p - 1);
    var s = scientific(x, p - 1); // p significant figures, rounded: this fixes the exponent
    var e = Number(s.slice(s.indexOf("e") + 1));
    return e < -4 || e >= p ? s : fixed(x, p - 1 - e);
  }

  /** The same text as Python's `gradtrace.notation.format_number(x, precision, style)`. */
  function formatNumber(x, precision, style) {
    var p = precision === undefined ? 4 : precision;
    x = num(x);
    if (x !== x) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (style === "significant") return significant(x, p);
    if (style === "scientific" || Math.abs(x) >= 1e12) return scientific(x, p);
    var text = fixed(x, p);
    // A non-zero number must never read as zero: below what the decimals show, go scientific.
    return x !== 0 && !/[1-9]/.test(text) ? scientific(x, p) : text;
  }

  var SLOT = /\{\{|\}\}|\{(\d+)(p?)\}/g;

  /** A step's sentence (gradtrace.steps): slots {k} get numbers[k], {kp} in parentheses
   *  when negative, {{ and }} are literal braces. The same rule as Python's steps.fill. */
  function fill(template, numbers, precision, style) {
    return template.replace(SLOT, function (whole, k, paren) {
      if (whole === "{{" || whole === "}}") return whole.charAt(0);
      var text = formatNumber(numbers[Number(k)], precision, style);
      return paren && text.charAt(0) === "-" ? "(" + text + ")" : text;
    });
  }

  /** A number as a reader would type it: `0.2`, `-0.4`, `nan`, `inf` (see parseNumber). */
  function typed(x) {
    return isFinite(x) ? String(x) : formatNumber(x);
  }

  /** Parse what a reader typed: a number, or inf / -inf / nan (∞ and − welcome). */
  function parseNumber(text) {
    var t = String(text).trim().toLowerCase().replace(/\u2212/g, "-").replace(/\u221e/g, "inf");
    if (t === "") return null;
    if (t === "nan") return NaN;
    if (t === "inf" || t === "+inf" || t === "infinity") return Infinity;
    if (t === "-inf" || t === "-infinity") return -Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
    return Number(t);
  }

  // -- the operations ---------------------------------------------------------------------
  //
  // One entry per operation of the registry (gradtrace/ops.py), whose names a test compares
  // with these keys. Each one is the engine's method, forward rule above its backward rule. `c` holds the
  // children's ids, `d` the forward values, `gr` the gradients being accumulated, `g` the
  // gradient of the node whose rule runs.

  /** Python's math.pow where it differs from Math.pow (C99: pow(1, y) = 1, pow(-1, ±inf) = 1). */
  function pow(x, y) {
    if (y === 0 || x === 1) return 1;
    if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
    return Math.pow(x, y);
  }

  function log(x) {
    if (x > 0) return Math.log(x);
    return x === 0 ? -Infinity : NaN;
  }

  function sigmoid(x) {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    var e = Math.exp(x); // the same value, without overflowing exp(-x)
    return e / (1 + e);
  }

  var OPS = {
    "+": {
      forward: function (c, d) { return d[c[0]] + d[c[1]]; },
      backward: function (c, d, gr, g) { gr[c[0]] += g; gr[c[1]] += g; },
    },
    "-": {
      forward: function (c, d) { return d[c[0]] - d[c[1]]; },
      backward: function (c, d, gr, g) { gr[c[0]] += g; gr[c[1]] -= g; },
    },
    "*": {
      forward: function (c, d) { return d[c[0]] * d[c[1]]; },
      backward: function (c, d, gr, g) {
        gr[c[0]] += d[c[1]] * g;
        gr[c[1]] += d[c[0]] * g;
      },
    },
    "/": {
      forward: function (c, d) { return d[c[0]] / d[c[1]]; },
      backward: function (c, d, gr, g) {
        var b = d[c[1]];
        gr[c[0]] += g / b;
        gr[c[1]] -= (d[c[0]] * g) / (b * b);
      },
    },
    neg: {
      forward: function (c, d) { return -d[c[0]]; },
      backward: function (c, d, gr, g) { gr[c[0]] -= g; },
    },
    "**": {
      forward: function (c, d) { return pow(d[c[0]], d[c[1]]); },
      backward: function (c, d, gr, g, out) {
        var a = d[c[0]], b = d[c[1]];
        if (b !== 0) gr[c[0]] += b * pow(a, b - 1) * g;
        if (out !== 0) gr[c[1]] += out * log(a) * g; // aᵇ·ln a → 0 as a → 0⁺
      },
    },
    exp: {
      forward: function (c, d) { return Math.exp(d[c[0]]); },
      backward: function (c, d, gr, g, out) { gr[c[0]] += out * g; },
    },
    log: {
      forward: function (c, d) { return log(d[c[0]]); },
      backward: function (c, d, gr, g) { gr[c[0]] += g / d[c[0]]; },
    },
    relu: {
      forward: function (c, d) {
        var x = d[c[0]];
        return x > 0 || x !== x ? x : 0;
      },
      backward: function (c, d, gr, g) {
        var x = d[c[0]];
        if (x > 0) gr[c[0]] += g;
        else if (x !== x) gr[c[0]] += NaN;
      },
    },
    tanh: {
      forward: function (c, d) { return Math.tanh(d[c[0]]); },
      backward: function (c, d, gr, g, out) { gr[c[0]] += (1 - out * out) * g; },
    },
    sigmoid: {
      forward: function (c, d) { return sigmoid(d[c[0]]); },
      backward: function (c, d, gr, g, out) { gr[c[0]] += out * (1 - out) * g; },
    },
    sum: {
      forward: function (c, d) {
        var s = 0;
        for (var i = 0; i < c.length; i++) s += d[c[i]];
        return s;
      },
      backward: function (c, d, gr, g) {
        for (var i = 0; i < c.length; i++) gr[c[i]] += g;
      },
    },
    dot: {
      forward: function (c, d) {
        var s = 0;
        for (var i = 0; i + 1 < c.length; i += 2) s += d[c[i]] * d[c[i + 1]];
        return s;
      },
      backward: function (c, d, gr, g) {
        for (var i = 0; i + 1 < c.length; i += 2) {
          gr[c[i]] += d[c[i + 1]] * g;
          gr[c[i + 1]] += d[c[i]] * g;
        }
      },
    },
  };
  // Other engines' names for these operations (micrograd spells relu ReLU): the registry's
  // table (gradtrace/ops.py, ALIASES), which widget.py writes in here when it ships the script.
  var ALIASES = __GRADTRACE_ALIASES__;

  function exponentOf(op) {
    var t = op.slice(2);
    if (t === "inf") return Infinity;
    if (t === "-inf") return -Infinity;
    if (t === "nan") return NaN;
    return Number(t);
  }

  /** `a ** n` for a plain number n: the exponent is part of the op name ("**2", "**-1"). */
  function powerBy(n) {
    return {
      forward: function (c, d) { return pow(d[c[0]], n); },
      backward: function (c, d, gr, g) {
        if (n !== 0) gr[c[0]] += n * pow(d[c[0]], n - 1) * g; // a⁰ is constant, even at 0
      },
    };
  }

  /** The rule of an op name, or null for a leaf, or undefined for an op we do not know. */
  function ruleOf(op) {
    if (op === "" || op === "const") return null;
    op = ALIASES[op] || op;
    if (Object.prototype.hasOwnProperty.call(OPS, op)) return OPS[op];
    if (op.length > 2 && op.slice(0, 2) === "**") {
      var n = exponentOf(op);
      if (n === n || op === "**nan") return powerBy(n);
    }
    return undefined;
  }

  // -- a graph, compiled once ----------------------------------------------------------

  var compiled = typeof WeakMap === "function" ? new WeakMap() : null;

  /** Arrays the evaluator walks: rules, children, data, and the backward order of the root. */
  function compile(graph) {
    if (typeof graph === "string") graph = JSON.parse(graph);
    var hit = compiled && compiled.get(graph);
    if (hit) return hit;
    var nodes = graph.nodes;
    var n = nodes.length;
    var rules = new Array(n), children = new Array(n), data0 = new Float64Array(n);
    var unknown = [];
    for (var i = 0; i < n; i++) {
      var node = nodes[i];
      if (node.id !== i) throw new Error("gradtrace: node " + i + " has id " + node.id);
      var rule = node.children.length ? ruleOf(node.op) : null;
      if (rule === undefined) unknown.push(node.op);
      rules[i] = rule || null;
      children[i] = node.children;
      data0[i] = num(node.data);
    }
    var root = graph.roots && graph.roots.length ? graph.roots[0] : n - 1;
    // The root's ancestors, parents before children: the order backward() runs the rules.
    var reach = new Uint8Array(n);
    if (n) reach[root] = 1;
    var order = [];
    for (var j = n - 1; j >= 0; j--) {
      if (!reach[j]) continue;
      order.push(j);
      for (var k = 0; k < children[j].length; k++) reach[children[j][k]] = 1;
    }
    var out = {
      graph: graph,
      size: n,
      rules: rules,
      children: children,
      data0: data0,
      root: root,
      order: order, // every ancestor of the root (leaves too), reverse topological order
      steps: order.filter(function (id) { return rules[id] !== null; }),
      unknown: unknown,
    };
    if (compiled) compiled.set(graph, out);
    return out;
  }

  /** Forward values: leaves from `values` (id → number) or the export, the rest recomputed. */
  function forward(cg, values) {
    var n = cg.size, d = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var rule = cg.rules[i];
      if (rule) d[i] = rule.forward(cg.children[i], d);
      else d[i] = values && values[i] !== undefined ? num(values[i]) : cg.data0[i];
    }
    return d;
  }

  /** A fresh gradient array with ∂f/∂f = 1 at the root. */
  function seed(cg) {
    var gr = new Float64Array(cg.size);
    if (cg.size) gr[cg.root] = 1;
    return gr;
  }

  /** Run the local rule of node `id`: pass its gradient on to its children. */
  function runRule(cg, d, gr, id) {
    cg.rules[id].backward(cg.children[id], d, gr, gr[id], d[id]);
  }

  /** How much the root moves when node `id` alone is nudged by h (the nodes computed from it
   * follow), divided by h: the finite difference a gradient predicts. Ids are topological. */
  function nudged(cg, d, id, h) {
    var e = new Float64Array(d);
    e[id] += h;
    for (var i = id + 1; i < cg.size; i++) {
      if (cg.rules[i]) e[i] = cg.rules[i].forward(cg.children[i], e);
    }
    return (e[cg.root] - d[cg.root]) / h;
  }

  function backward(cg, d) {
    var gr = seed(cg);
    for (var s = 0; s < cg.steps.length; s++) runRule(cg, d, gr, cg.steps[s]);
    return gr;
  }

  /**
   * Test hook and public helper: forward and backward on an exported graph.
   *
   * @param graph  the JSON export (text or parsed)
   * @param inputs optional {nodeId: value} for leaves; other leaves keep their exported value
   * @returns {data: number[], grad: number[]} indexed by node id
   */
  function evaluate(graph, inputs) {
    var cg = compile(graph);
    if (cg.unknown.length) throw new Error("gradtrace: unknown operation " + JSON.stringify(cg.unknown[0]));
    var d = forward(cg, inputs || null);
    var gr = backward(cg, d);
    return { data: Array.prototype.slice.call(d), grad: Array.prototype.slice.call(gr) };
  }

  // -- the widget ------------------------------------------------------------------------

  var STEP_MS = 900;
  // How a node is highlighted during a walk: its rule runs (or its value is computed), it
  // receives gradient, its gradient is not final, its value is not computed yet.
  var ACTIVE = 1, RECEIVING = 2, PENDING = 4, UNKNOWN = 8;
  var FORWARD = "forward", BACKWARD = "backward";
  var DASH = "\u2014"; // a number not computed yet

  function Widget(root) {
    this.root = root;
    var config = JSON.parse(root.querySelector("script.gt-config").textContent);
    this.config = config;
    this.precision = config.precision;
    this.number = config.number || "fixed"; // the number style (format_number's `style`)
    this.cg = compile(config.graph);
    this.values = {};
    this.live = this.cg.unknown.length === 0;
    this.timer = null;
    this.passes = config.steps || { forward: [], backward: [] }; // from gradtrace.steps
    this.pass = BACKWARD; // which pass a walk goes through
    this.walk = this.cg.steps.length; // how many steps of that pass have run
    this.walking = false; // false: the full result; true: stopped at step `walk` of a walk
    this.noGrad = false; // true: a read-only export whose gradients were never computed
    this.find();
    this.bind();
    this.update();
  }

  Widget.prototype.find = function () {
    var root = this.root, ids = this.config.svg, n = this.cg.size;
    var figure = root.querySelector(".gt-figure");
    var byId = {}; // one pass over the drawings, not one search per id
    var withId = figure ? figure.querySelectorAll("[id]") : [];
    for (var w = 0; w < withId.length; w++) byId[withId[w].id] = withId[w];
    // `ids[part][i]` lists node i's elements of that part, one per drawing (light, dark).
    function all(part, i, pick) {
      var out = [];
      var list = (ids[part] && ids[part][i]) || [];
      for (var k = 0; k < list.length; k++) {
        var el = byId[list[k]] || null;
        if (el && pick) el = pick(el);
        if (el) out.push(el);
      }
      return out;
    }
    function lastText(el) { // a value's box: label text(s), then the number
      var texts = el.querySelectorAll("text");
      return texts.length ? texts[texts.length - 1] : null;
    }
    function firstText(el) {
      return el.querySelector("text");
    }
    this.svgBox = new Array(n);
    this.svgData = new Array(n);
    this.svgGrad = new Array(n);
    this.svgValue = new Array(n);
    this.svgGradShape = new Array(n);
    this.svgOp = new Array(n);
    this.svgEdges = new Array(n);
    for (var i = 0; i < n; i++) {
      this.svgBox[i] = all("node", i);
      this.svgData[i] = all("data", i, lastText);
      this.svgGrad[i] = all("grad", i, firstText);
      this.svgGradShape[i] = all("grad", i);
      this.svgValue[i] = all("node", i).concat(this.svgGradShape[i]);
      this.svgOp[i] = all("op", i);
      this.svgEdges[i] = all("edges", i);
    }
    // The trace table is gradtrace's public HTML table: these are the hooks its docs promise.
    this.cellData = {};
    this.cellGrad = {};
    this.rows = {};
    this.cellNudge = {};
    var rows = root.querySelectorAll("tr[data-node]");
    for (var r = 0; r < rows.length; r++) {
      var node = rows[r].getAttribute("data-node");
      this.rows[node] = rows[r];
      this.cellData[node] = rows[r].querySelector(".gt-data");
      this.cellGrad[node] = rows[r].querySelector(".gt-grad");
      var nudge = rows[r].querySelector(".gt-nudge");
      if (nudge) this.cellNudge[node] = nudge;
    }
    this.status = root.querySelector(".gt-status");
    this.playButton = root.querySelector(".gt-play");
    this.stepButton = root.querySelector(".gt-step");
    this.resetButton = root.querySelector(".gt-reset");
    this.passChoice = Array.prototype.slice.call(root.querySelectorAll(".gt-pass input"));
    this.controls = [];
    var boxes = root.querySelectorAll(".gt-control");
    for (var k = 0; k < boxes.length; k++) {
      var box = boxes[k];
      this.controls.push({
        id: Number(box.getAttribute("data-node")),
        slider: box.querySelector("input[type=range]"),
        field: box.querySelector("input.gt-number"),
        initial: num(JSON.parse(box.getAttribute("data-gt-value"))),
      });
    }
  };

  Widget.prototype.bind = function () {
    var self = this;
    this.controls.forEach(function (control) {
      self.values[control.id] = control.initial;
      if (!self.live) {
        control.slider.disabled = true;
        control.field.disabled = true;
        return;
      }
      control.slider.addEventListener("input", function () {
        var v = Number(control.slider.value);
        control.field.value = typed(v);
        control.field.removeAttribute("aria-invalid");
        self.set(control.id, v);
      });
      control.field.addEventListener("input", function () {
        var v = parseNumber(control.field.value);
        if (v === null) {
          control.field.setAttribute("aria-invalid", "true");
          return;
        }
        control.field.removeAttribute("aria-invalid");
        if (v === v && isFinite(v)) control.slider.value = String(v);
        self.set(control.id, v);
      });
      control.field.addEventListener("change", function () {
        if (control.field.getAttribute("aria-invalid")) {
          control.field.value = typed(self.values[control.id]);
          control.field.removeAttribute("aria-invalid");
        }
      });
    });
    var values = this.root.querySelector(".gt-reset-values");
    if (values) {
      values.disabled = !this.live;
      values.addEventListener("click", function () { self.resetValues(); });
    }
    if (!this.live) {
      [this.playButton, this.stepButton, this.resetButton].concat(this.passChoice).forEach(
        function (b) { if (b) b.disabled = true; }
      );
      return;
    }
    this.passChoice.forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked) self.choosePass(radio.value);
      });
    });
    this.playButton.addEventListener("click", function () { self.togglePlay(); });
    this.stepButton.addEventListener("click", function () { self.step(); });
    this.resetButton.addEventListener("click", function () { self.resetWalk(); });
  };

  /** A reader changed input `id` to `value`: recompute everything, show the full result. */
  Widget.prototype.set = function (id, value) {
    this.values[id] = value;
    this.pause();
    this.walking = false;
    this.walk = this.cg.steps.length;
    this.update();
  };

  Widget.prototype.resetValues = function () {
    var self = this;
    this.controls.forEach(function (control) {
      self.values[control.id] = control.initial;
      control.slider.value = String(control.initial);
      control.field.value = typed(control.initial);
      control.field.removeAttribute("aria-invalid");
    });
    this.pause();
    this.walking = false;
    this.walk = this.cg.steps.length;
    this.update();
  };

  /** How many steps the chosen pass has. */
  Widget.prototype.total = function () {
    return this.pass === FORWARD ? this.passes.forward.length : this.cg.steps.length;
  };

  /** Walk the forward pass or backward(), from its start. */
  Widget.prototype.choosePass = function (which) {
    this.pause();
    this.pass = which === FORWARD ? FORWARD : BACKWARD;
    this.walk = 0;
    this.walking = true;
    this.update();
  };

  /** Recompute forward, then backward up to the current step of the walk, and show it. */
  Widget.prototype.update = function () {
    var cg = this.cg;
    if (!this.live) {
      this.data = cg.data0;
      this.grad = new Float64Array(cg.size);
      for (var i = 0; i < cg.size; i++) this.grad[i] = num(cg.graph.nodes[i].grad);
      // Exported before backward() (no output has a gradient): none was computed.
      var roots = cg.graph.roots || [];
      this.noGrad = !roots.some(function (r) { return this.grad[r] !== 0; }, this);
      this.show();
      this.say(this.config.text.static.replace("{op}", cg.unknown[0]));
      return;
    }
    this.data = forward(cg, this.values);
    var h = this.config.nudge;
    for (var nid in this.cellNudge) {
      setText(this.cellNudge[nid], formatNumber(nudged(cg, this.data, Number(nid), h), this.precision, this.number));
    }
    this.grad = seed(cg);
    var rules = !this.walking ? cg.steps.length : this.pass === FORWARD ? 0 : this.walk;
    for (var s = 0; s < rules; s++) runRule(cg, this.data, this.grad, cg.steps[s]);
    this.show();
  };

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function setTexts(els, text) {
    for (var i = 0; i < els.length; i++) setText(els[i], text);
  }

  function toggle(el, name, on) {
    if (!el) return;
    if (on) el.classList.add(name);
    else el.classList.remove(name);
  }

  /** Write numbers into the figure and the table, and mark where a walk stands. */
  Widget.prototype.show = function () {
    var cg = this.cg, p = this.precision, n = cg.size;
    var walking = this.walking;
    var ahead = walking && this.pass === FORWARD; // walking forward: no gradient yet
    var active = -1;
    if (walking && this.walk > 0) {
      active = ahead ? this.passes.forward[this.walk - 1][0] : cg.steps[this.walk - 1];
    }
    var done = null, known = null;
    if (ahead) {
      done = new Uint8Array(n); // no gradient is final
      known = new Uint8Array(n);
      for (var v = 0; v < n; v++) known[v] = this.config.constants[v] ? 1 : 0;
      for (var f = 0; f < this.walk; f++) known[this.passes.forward[f][0]] = 1;
    } else if (walking) {
      // A gradient is final once every rule that sends to it has run.
      done = new Uint8Array(n);
      var pending = new Uint8Array(n);
      for (var s = this.walk; s < cg.steps.length; s++) {
        var c = cg.children[cg.steps[s]];
        for (var k = 0; k < c.length; k++) pending[c[k]] = 1;
      }
      for (var i = 0; i < n; i++) done[i] = pending[i] ? 0 : 1;
    }
    var receiving = {};
    if (!this.marks) this.marks = new Uint8Array(n);
    if (active >= 0 && !ahead) cg.children[active].forEach(function (c) { receiving[c] = 1; });
    for (var id = 0; id < n; id++) {
      var unknown = ahead && !known[id];
      var dataText = unknown ? DASH : formatNumber(this.data[id], p, this.number);
      var gradText = ahead || this.noGrad ? DASH : formatNumber(this.grad[id], p, this.number);
      setTexts(this.svgData[id], dataText);
      setTexts(this.svgGrad[id], gradText);
      setText(this.cellData[id], dataText);
      setText(this.cellGrad[id], gradText);
      var bits = (id === active ? ACTIVE : 0) | (receiving[id] === 1 ? RECEIVING : 0) |
        (walking && !done[id] ? PENDING : 0) | (unknown ? UNKNOWN : 0);
      if (bits !== this.marks[id]) { // touch the DOM only where the highlighting changes
        this.marks[id] = bits;
        this.mark(id, bits);
      }
    }
    this.root.classList.toggle("gt-walking", walking);
    if (this.live) this.narrate(active);
    if (active >= 0) this.reveal(active);
  };

  /** Scroll a wide figure sideways so that the node whose rule runs is in view. */
  Widget.prototype.reveal = function (id) {
    var figure = this.root.querySelector(".gt-figure");
    if (!figure || figure.scrollWidth <= figure.clientWidth) return;
    var shown = this.svgValue[id].concat(this.svgOp[id]).filter(function (el) {
      return el.getBoundingClientRect().width > 0; // the drawing of the current theme
    });
    if (!shown.length) return;
    var box = figure.getBoundingClientRect();
    var left = Infinity, right = -Infinity;
    shown.forEach(function (el) {
      var r = el.getBoundingClientRect();
      left = Math.min(left, r.left);
      right = Math.max(right, r.right);
    });
    if (left >= box.left && right <= box.right) return;
    var target = figure.scrollLeft + (left + right) / 2 - (box.left + box.right) / 2;
    var smooth = !(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
    figure.scrollTo({ left: target, behavior: smooth ? "smooth" : "auto" });
  };

  /** Highlight node `id`: its value box and gradient as active or receiving, its
   *  operation (and the edges through it) only while its own rule runs. */
  Widget.prototype.mark = function (id, bits) {
    var i, els = this.svgValue[id];
    for (i = 0; i < els.length; i++) {
      toggle(els[i], "gt-active", bits & ACTIVE);
      toggle(els[i], "gt-receiving", bits & RECEIVING);
    }
    // Only the gradient is unfinished; the forward value is final all along.
    for (i = 0; i < this.svgGradShape[id].length; i++) {
      toggle(this.svgGradShape[id][i], "gt-pending", bits & PENDING);
    }
    for (i = 0; i < this.svgBox[id].length; i++) toggle(this.svgBox[id][i], "gt-unknown", bits & UNKNOWN);
    var row = this.rows[id];
    if (row) {
      toggle(row, "gt-unknown", bits & UNKNOWN);
      toggle(row, "gt-active", bits & ACTIVE);
      toggle(row, "gt-receiving", bits & RECEIVING);
      toggle(row, "gt-pending", bits & PENDING);
    }
    for (i = 0; i < this.svgOp[id].length; i++) toggle(this.svgOp[id][i], "gt-active", bits & ACTIVE);
    for (i = 0; i < this.svgEdges[id].length; i++) toggle(this.svgEdges[id][i], "gt-flow", bits & ACTIVE);
  };

  Widget.prototype.name = function (id) {
    return this.config.names[id];
  };

  /** The status line: the sentence gradtrace.steps wrote for the last step, with this
   *  page's numbers in its slots. */
  Widget.prototype.narrate = function (active) {
    var cg = this.cg, t = this.config.text, p = this.precision;
    var total = this.total();
    var forwardPass = this.pass === FORWARD;
    if (!this.walking) {
      this.say((forwardPass ? t.ready_forward : t.ready).replace("{n}", String(total)));
      return;
    }
    if (active < 0) {
      this.say(forwardPass ? t.start_forward : t.seed.replace("{root}", this.name(cg.root)));
      return;
    }
    var step = (forwardPass ? this.passes.forward : this.passes.backward)[this.walk - 1];
    var done = this.walk === total ? "\n" + (forwardPass ? t.done_forward : t.done) : "";
    if (!step) {
      this.say("Step " + this.walk + " of " + total + "." + done);
      return;
    }
    var numbers = forwardPass ? this.slotsForward(step[2]) : this.slotsBackward(active, step[2]);
    this.say(fill(step[1], numbers, p, this.number) + done);
  };

  Widget.prototype.slotsForward = function (slots) {
    var d = this.data;
    return slots.map(function (slot) { return d[slot[1]]; });
  };

  /** The numbers of a backward step's slots: values, gradients after and before the step,
   *  and the step's local derivatives and contributions (its rule run on its own). */
  Widget.prototype.slotsBackward = function (active, slots) {
    var cg = this.cg, d = this.data, after = this.grad;
    var before = seed(cg);
    for (var s = 0; s < this.walk - 1; s++) runRule(cg, d, before, cg.steps[s]);
    var local = new Float64Array(cg.size), added = new Float64Array(cg.size);
    var rule = cg.rules[active], children = cg.children[active];
    rule.backward(children, d, local, 1, d[active]);
    rule.backward(children, d, added, after[active], d[active]);
    var table = { d: d, g: after, b: before, l: local, c: added };
    return slots.map(function (slot) { return table[slot[0]][slot[1]]; });
  };

  Widget.prototype.say = function (text) {
    setText(this.status, text);
  };

  Widget.prototype.step = function () {
    var total = this.total();
    if (!this.walking || this.walk >= total) this.walk = 0; // a new walk: only ∂f/∂f = 1 known
    else this.walk += 1;
    this.walking = true;
    this.update();
    if (this.walk >= total) this.pause();
  };

  Widget.prototype.resetWalk = function () {
    this.pause();
    this.walk = 0;
    this.walking = true;
    this.update();
  };

  Widget.prototype.togglePlay = function () {
    if (this.timer !== null) {
      this.pause();
      return;
    }
    var self = this;
    if (!this.walking || this.walk >= this.total()) this.step();
    this.timer = window.setInterval(function () {
      if (self.walk >= self.total()) self.pause();
      else self.step();
    }, api.stepMs || STEP_MS);
    this.root.classList.add("gt-playing"); // the button now reads "Pause"
    setText(this.playButton.querySelector(".gt-label"), this.config.text.pause);
  };

  Widget.prototype.pause = function () {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    if (this.playButton) {
      this.root.classList.remove("gt-playing");
      setText(this.playButton.querySelector(".gt-label"), this.config.text.play);
    }
  };

  var live = [];

  /** Start every widget on the page that has not started yet (safe to call again). */
  function startAll() {
    live = live.filter(function (widget) {
      if (widget.root.isConnected) return true;
      widget.pause(); // its page was swapped away
      return false;
    });
    var roots = document.querySelectorAll(".gradtrace-widget");
    for (var i = 0; i < roots.length; i++) start(roots[i]);
  }

  /** Start one widget element, in the page or not yet attached (a notebook's output
   *  view); a started one is left as it is. */
  function start(root) {
    if (root.gradtraceWidget) return;
    try {
      root.gradtraceWidget = new Widget(root);
      live.push(root.gradtraceWidget);
      root.setAttribute("data-gt-ready", "true");
    } catch (err) {
      root.setAttribute("data-gt-error", String(err && err.message ? err.message : err));
      if (window.console) window.console.error(err);
    }
  }

  /** Follow mkdocs-material's instant navigation, which swaps pages without reloading. */
  function subscribe() {
    var pages = window.document$;
    if (!api.subscribed && pages && typeof pages.subscribe === "function") {
      api.subscribed = true;
      pages.subscribe(function () { startAll(); });
    }
  }

  api.widgetVersion = VERSION;
  api.evaluate = evaluate;
  api.formatNumber = formatNumber;
  api.fill = fill;
  api.parseNumber = parseNumber;
  api.startAll = startAll;
  api.start = start;

  // Start now if the page is parsed, else when it is; and then on every instant-navigation
  // page (material's `document$` exists once its bundle, at the end of <body>, has run).
  // Starting twice is harmless: a started widget is skipped.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      startAll();
      subscribe();
    });
  } else {
    startAll();
    subscribe();
  }
})();
