/* The segment builder: nested all/any groups of conditions, kept in step with the rules JSON.

   The form posts its rules as JSON (the textarea named "rules"); this script draws that JSON as
   a form (field → operator → a value input suited to the field) and writes every edit back into
   the textarea, then fires "rules-changed" on #segment-live, which htmx turns into a debounced
   live count. Editing the textarea redraws the form. Rules the form cannot show (an unknown field,
   a bare condition at the top) stay editable as JSON. What fields, operators and values exist
   comes from the server (<script type="application/json" id="segment-catalogue">). */
(function () {
  "use strict";

  var catalogue, words, fieldsByName, form, textarea, details, root, live, model;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") {
        node.textContent = attrs[key];
      } else if (key === "className") {
        node.className = attrs[key];
      } else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) {
        node.setAttribute(key, attrs[key] === true ? "" : attrs[key]);
      }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", {value: String(value), text: label});
    node.selected = Boolean(selected);
    return node;
  }

  /* --- the model: groups {kind, children} and conditions {field, op, value} --------------- */

  function fromRules(node, top) {
    if (!node || typeof node !== "object" || Array.isArray(node)) { return null; }
    var keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any") && Array.isArray(node[keys[0]])) {
      var children = node[keys[0]].map(function (child) { return fromRules(child, false); });
      if (children.some(function (child) { return child === null; })) { return null; }
      return {kind: keys[0], children: children};
    }
    if (top || keys.some(function (key) { return ["field", "op", "value"].indexOf(key) < 0; })) { return null; }
    var spec = fieldsByName[node.field];
    if (!spec || !spec.ops.some(function (o) { return o.op === node.op; })) { return null; }
    return {field: node.field, op: node.op, value: node.value};
  }

  function toRules(node) {
    if (node.children) {
      var out = {};
      out[node.kind] = node.children.map(toRules);
      return out;
    }
    return {field: node.field, op: node.op, value: node.value};
  }

  function mode(op) {
    if (op === "in" || op === "not_in") { return "list"; }
    if (op === "between") { return "pair"; }
    if (op === "within_days" || op === "not_within_days") { return "days"; }
    return "single";
  }

  function defaultValue(spec, op) {
    var m = mode(op);
    if (m === "list") { return []; }
    if (m === "pair") { return spec.kind === "month" ? [1, 12] : ["", ""]; }
    if (m === "days") { return 30; }
    if (spec.kind === "flag") { return true; }
    if (spec.kind === "gender") { return "f"; }
    if (spec.kind === "month") { return 1; }
    if (spec.kind === "label") { return spec.values.length ? spec.values[0].value : ""; }
    return "";
  }

  /* A value carried over to another operator, where its shape allows. */
  function reshape(value, spec, op) {
    var m = mode(op);
    var first = Array.isArray(value) ? value[0] : value;
    if (m === "list") { return first === "" || first === undefined ? [] : [first]; }
    if (m === "pair" || m === "days") { return defaultValue(spec, op); }
    if (first === undefined || (spec.kind === "date" && typeof first === "number")) { return defaultValue(spec, op); }
    return first;
  }

  function newCondition() {
    return {field: "order_count", op: ">=", value: 1};
  }

  /* --- values typed as the rules want them ------------------------------------------------ */

  function numeric(spec) {
    return spec.kind === "money" || spec.kind === "integer" || spec.kind === "month";
  }

  function parseItem(text, spec) {
    var trimmed = String(text).trim();
    if (numeric(spec) && trimmed !== "" && isFinite(Number(trimmed))) { return Number(trimmed); }
    return trimmed;
  }

  function parseList(text, spec) {
    return String(text).split(/[,，、]/).map(function (part) { return part.trim(); })
      .filter(function (part) { return part !== ""; })
      .map(function (part) { return parseItem(part, spec); });
  }

  function display(value) {
    if (value === null || value === undefined) { return ""; }
    if (Array.isArray(value)) { return value.join(", "); }
    return String(value);
  }

  /* --- drawing ---------------------------------------------------------------------------- */

  function announce() {
    (live || form).dispatchEvent(new CustomEvent("rules-changed"));
  }

  function changed() {
    textarea.value = JSON.stringify(toRules(model), null, 2);
    announce();
  }

  function redraw() {
    root.textContent = "";
    if (model === null) {
      root.appendChild(el("p", {className: "notice builder-json-only", text: words.json_only}));
      if (details) { details.open = true; }
      return;
    }
    root.appendChild(drawGroup(model, null));
  }

  function drawGroup(group, parent) {
    var kind = el("select", {className: "group-kind", "aria-label": words.all + " / " + words.any});
    kind.appendChild(option("all", words.all, group.kind === "all"));
    kind.appendChild(option("any", words.any, group.kind === "any"));
    kind.addEventListener("change", function () { group.kind = kind.value; changed(); });

    var list = el("ol", {className: "group-children"});
    if (!group.children.length && parent === null) {
      list.appendChild(el("li", {className: "muted group-empty", text: words.empty}));
    }
    group.children.forEach(function (child) {
      list.appendChild(el("li", {}, [child.children ? drawGroup(child, group) : drawCondition(child, group)]));
    });

    var addCondition = el("button", {type: "button", className: "secondary outline small add-condition",
                                     text: words.add_condition});
    addCondition.addEventListener("click", function () {
      group.children.push(newCondition());
      redraw();
      changed();
    });
    var actions = el("div", {className: "group-actions"}, [addCondition]);
    if (parent === null || group.kind === "all") {
      var addGroup = el("button", {type: "button", className: "secondary outline small add-group", text: words.add_group});
      addGroup.addEventListener("click", function () {
        group.children.push({kind: "any", children: [newCondition()]});
        redraw();
        changed();
      });
      actions.appendChild(addGroup);
    }
    if (parent !== null) {
      actions.appendChild(removeButton(words.remove_group, parent, group));
    }
    return el("div", {className: "rule-group group-" + group.kind}, [kind, list, actions]);
  }

  function removeButton(label, parent, node) {
    var button = el("button", {type: "button", className: "secondary small remove", text: label});
    button.addEventListener("click", function () {
      parent.children.splice(parent.children.indexOf(node), 1);
      redraw();
      changed();
    });
    return button;
  }

  function drawCondition(condition, parent) {
    var spec = fieldsByName[condition.field];
    var field = el("select", {className: "condition-field", "aria-label": words.field});
    catalogue.fields.forEach(function (f) { field.appendChild(option(f.field, f.name, f.field === condition.field)); });
    field.addEventListener("change", function () {
      var next = fieldsByName[field.value];
      condition.field = field.value;
      if (!next.ops.some(function (o) { return o.op === condition.op; })) { condition.op = next.ops[0].op; }
      condition.value = next.kind === spec.kind ? reshape(condition.value, next, condition.op)
        : defaultValue(next, condition.op);
      redraw();
      changed();
    });

    var op = el("select", {className: "condition-op", "aria-label": words.operator});
    spec.ops.forEach(function (o) { op.appendChild(option(o.op, o.name, o.op === condition.op)); });
    op.addEventListener("change", function () {
      var before = mode(condition.op);
      condition.op = op.value;
      if (mode(condition.op) !== before) { condition.value = reshape(condition.value, spec, condition.op); }
      redraw();
      changed();
    });

    return el("div", {className: "condition"}, [field, op, drawValue(condition, spec),
                                                 removeButton(words.remove, parent, condition)]);
  }

  function input(spec, value, label) {
    var attrs = {className: "condition-value", "aria-label": label, value: display(value)};
    if (spec.kind === "money" || spec.kind === "integer") {
      attrs.type = "number";
      attrs.step = spec.kind === "money" ? "0.01" : "1";
      attrs.min = "0";
    } else if (spec.kind === "date") {
      attrs.type = "date";
    } else {
      attrs.type = "text";
      if (spec.kind === "province") { attrs.list = "segment-provinces"; }
    }
    return el("input", attrs);
  }

  function choices(spec) {
    if (spec.kind === "month") {
      return catalogue.months.map(function (m) { return {value: m.value, name: m.name}; });
    }
    if (spec.kind === "gender") { return [{value: "f", name: words.female}, {value: "m", name: words.male}]; }
    if (spec.kind === "flag") { return [{value: true, name: words.yes}, {value: false, name: words.no}]; }
    if (spec.kind === "label") {
      return spec.values.map(function (v) { return {value: v.value, name: v.value, title: v.description}; });
    }
    return null;
  }

  function choiceSelect(spec, selected, label, multiple) {
    var select = el("select", {className: "condition-value", "aria-label": label, multiple: multiple});
    var wanted = (Array.isArray(selected) ? selected : [selected]).map(String);
    var known = false;
    choices(spec).forEach(function (c) {
      var node = option(c.value, c.name, wanted.indexOf(String(c.value)) >= 0);
      if (c.title) { node.title = c.title; }
      known = known || node.selected;
      select.appendChild(node);
    });
    if (!multiple && !known) {  /* a value the form has no choice for (男, a retired label) stays */
      select.insertBefore(option(display(selected), display(selected), true), select.firstChild);
    }
    return select;
  }

  function typed(spec, text) {
    if (spec.kind === "flag") { return text === "true"; }
    return parseItem(text, spec);
  }

  function drawValue(condition, spec) {
    var m = mode(condition.op);
    var box = el("span", {className: "condition-values"});
    var update = function () { changed(); };
    if (m === "list") {
      if (choices(spec) && spec.kind !== "gender" && spec.kind !== "flag") {
        var many = choiceSelect(spec, condition.value, words.value, true);
        many.addEventListener("change", function () {
          condition.value = Array.prototype.filter.call(many.options, function (o) { return o.selected; })
            .map(function (o) { return typed(spec, o.value); });
          update();
        });
        box.appendChild(many);
      } else {
        var text = el("input", {type: "text", className: "condition-value", "aria-label": words.value,
                                placeholder: words.list_hint, value: display(condition.value),
                                list: spec.kind === "province" ? "segment-provinces" : null});
        text.addEventListener("input", function () { condition.value = parseList(text.value, spec); update(); });
        box.appendChild(text);
      }
    } else if (m === "pair") {
      var pair = Array.isArray(condition.value) ? condition.value.slice(0, 2) : ["", ""];
      [0, 1].forEach(function (i) {
        var label = i === 0 ? words.low : words.high;
        var end = choices(spec) ? choiceSelect(spec, pair[i], label, false) : input(spec, pair[i], label);
        end.addEventListener(end.tagName === "SELECT" ? "change" : "input", function () {
          pair[i] = typed(spec, end.value);
          condition.value = pair.slice();
          update();
        });
        box.appendChild(end);
        if (i === 0) { box.appendChild(el("span", {className: "muted", text: "–"})); }
      });
    } else if (m === "days") {
      var days = el("input", {type: "number", min: "0", step: "1", className: "condition-value",
                              "aria-label": words.days, value: display(condition.value)});
      days.addEventListener("input", function () {
        condition.value = parseItem(days.value, {kind: "integer"});
        update();
      });
      box.appendChild(days);
      box.appendChild(el("span", {className: "muted", text: words.days}));
    } else if (choices(spec)) {
      var one = choiceSelect(spec, condition.value, words.value, false);
      one.addEventListener("change", function () { condition.value = typed(spec, one.value); update(); });
      box.appendChild(one);
    } else {
      var single = input(spec, condition.value, words.value);
      single.addEventListener("input", function () { condition.value = typed(spec, single.value); update(); });
      box.appendChild(single);
    }
    return box;
  }

  /* --- wiring ----------------------------------------------------------------------------- */

  function readTextarea() {
    try {
      model = fromRules(JSON.parse(textarea.value), true);
    } catch (error) {
      model = null;
    }
  }

  function start() {
    var data = document.getElementById("segment-catalogue");
    form = document.getElementById("segment-form");
    root = document.getElementById("segment-builder");
    live = document.getElementById("segment-live");
    textarea = form ? form.querySelector('textarea[name="rules"]') : null;
    if (!data || !form || !root || !textarea) { return; }
    catalogue = JSON.parse(data.textContent);
    words = catalogue.words;
    fieldsByName = {};
    catalogue.fields.forEach(function (f) { fieldsByName[f.field] = f; });

    var provinces = el("datalist", {id: "segment-provinces"});
    catalogue.provinces.forEach(function (p) { provinces.appendChild(el("option", {value: p})); });
    form.appendChild(provinces);

    textarea.addEventListener("input", function () {
      readTextarea();
      redraw();
      announce();
    });
    details = document.getElementById("rules-json");
    if (details && !details.querySelector(".field-error")) { details.open = false; }
    readTextarea();
    redraw();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
