// The interactive attention page (see heatmap_html.h). Data layout in the page: each matrix is
// its causal lower triangle flattened row by row (entry (q, k), k <= q, at q*(q+1)/2 + k),
// values rounded to 6 decimals.
#include "src/inspect/heatmap_html.h"

#include <cmath>

namespace hearth {
namespace {

nlohmann::json lower_triangle(const SquareMatrix& m) {
  nlohmann::json out = nlohmann::json::array();
  for (int64_t q = 0; q < m.n; ++q)
    for (int64_t k = 0; k <= q; ++k) out.push_back(std::round(static_cast<double>(m.at(q, k)) * 1e6) / 1e6);
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON that can sit inside <script>: "</" cannot end the element, invalid UTF-8 is replaced.
std::string script_json(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') out += "<\\/", ++i;
    else out += s[i];
  }
  return out;
}

constexpr const char* kPageHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>hearth attention</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
#controls { margin: 8px 0; } #controls label { margin-right: 16px; }
#info { min-height: 1.4em; font-family: monospace; margin: 6px 0; }
#grid { border-collapse: collapse; font: 11px monospace; }
#grid td, #grid th { padding: 0; }
#grid td.cell { width: 14px; height: 14px; min-width: 14px; }
#grid td.masked { background: #e0e0e0; }
#grid th.key { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; max-height: 120px;
  overflow: hidden; white-space: pre; font-weight: normal; }
#grid th.query { text-align: right; padding-right: 4px; white-space: pre; font-weight: normal; }
#grid td.cell:hover { outline: 2px solid #d33; }
</style></head><body>
)HTML";

constexpr const char* kPageScript = R"HTML(<div id="controls">
<label>layer <select id="layer"></select></label>
<label>head <select id="head"></select></label>
<span id="range"></span></div>
<div id="info">hover a cell: query token -&gt; key token: weight</div>
<table id="grid"></table>
<p>cells drawn: <span id="cell-count">0</span></p>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const n = D.tokens.length;
const VIRIDIS = [[68,1,84],[71,44,122],[59,81,139],[44,113,142],[33,144,141],[39,173,129],[92,200,99],[170,220,50],[253,231,37]];
function color(t) {
  t = Math.max(0, Math.min(1, t)) * 8; const i = Math.min(7, Math.floor(t)), f = t - i;
  const c = VIRIDIS[i].map((a, k) => Math.round(a + f * (VIRIDIS[i + 1][k] - a)));
  return "rgb(" + c.join(",") + ")";
}
function tri(q, k) { return q * (q + 1) / 2 + k; }
function matrix(layer, head) {
  if (layer === "rollout") return D.rollout;
  const heads = D.layers.find(l => String(l.layer) === layer).heads;
  if (head !== "mean") return heads[Number(head)];
  const m = new Array(heads[0].length).fill(0);
  for (const h of heads) for (let i = 0; i < m.length; ++i) m[i] += h[i] / heads.length;
  return m;
}
const layerSel = document.getElementById("layer"), headSel = document.getElementById("head");
for (const l of D.layers) layerSel.add(new Option("layer " + l.layer, String(l.layer)));
if (D.rollout) layerSel.add(new Option("rollout (all layers)", "rollout"));
headSel.add(new Option("mean", "mean"));
for (let h = 0; h < D.n_head; ++h) headSel.add(new Option("head " + h, String(h)));
layerSel.value = D.initial.layer; if (!layerSel.value) layerSel.selectedIndex = 0;
headSel.value = D.initial.head; if (!headSel.value) headSel.value = "mean";
function draw() {
  const layer = layerSel.value, head = headSel.value;
  headSel.disabled = layer === "rollout";
  const m = matrix(layer, head);
  let vmax = 0; for (const v of m) vmax = Math.max(vmax, v);
  document.getElementById("range").textContent = "colour scale 0 .. " + vmax.toPrecision(4);
  const grid = document.getElementById("grid");
  grid.replaceChildren();
  const top = grid.insertRow(); top.appendChild(document.createElement("th"));
  for (let k = 0; k < n; ++k) {
    const th = document.createElement("th"); th.className = "key"; th.textContent = D.tokens[k]; top.appendChild(th);
  }
  let cells = 0;
  for (let q = 0; q < n; ++q) {
    const row = grid.insertRow();
    const th = document.createElement("th"); th.className = "query"; th.textContent = D.tokens[q]; row.appendChild(th);
    for (let k = 0; k < n; ++k) {
      const td = row.insertCell(); td.dataset.q = q; td.dataset.k = k;
      if (k <= q) {
        const v = m[tri(q, k)]; td.className = "cell"; td.dataset.w = v;
        td.style.background = color(vmax > 0 ? v / vmax : 0);
      } else {
        td.className = "cell masked";
      }
      ++cells;
    }
  }
  document.getElementById("cell-count").textContent = String(cells);
}
document.getElementById("grid").addEventListener("mouseover", e => {
  const td = e.target.closest("td.cell"); if (!td) return;
  const q = Number(td.dataset.q), k = Number(td.dataset.k);
  const w = td.dataset.w === undefined ? "(future token: not attended)" : Number(td.dataset.w).toFixed(6);
  document.getElementById("info").textContent =
      "query " + q + " " + JSON.stringify(D.tokens[q]) + " -> key " + k + " " + JSON.stringify(D.tokens[k]) + ": " + w;
});
layerSel.addEventListener("change", draw); headSel.addEventListener("change", draw);
draw();
</script>
</body></html>
)HTML";

}  // namespace

std::string attention_html(const AttentionMaps& maps, const std::string& initial_layer,
                           const std::string& initial_head, const std::string& title) {
  AttentionLayersJson parts = attention_layers_json(maps, "heads", lower_triangle);
  const nlohmann::json data = {{"tokens", maps.tokens}, {"n_head", maps.n_head}, {"layers", std::move(parts.layers)},
                               {"rollout", std::move(parts.rollout)},
                               {"initial", {{"layer", initial_layer}, {"head", initial_head}}}};
  std::string page = kPageHead;
  page += "<h1 style=\"font-size:16px\">Attention: " + html_escape(title) + "</h1>\n";
  page += "<p>Rows: query tokens; columns: key tokens. Each row of a head sums to 1. Rollout: Abnar &amp; "
          "Zuidema (2020), heads averaged, identity added, rows normalised, multiplied through the layers.</p>\n";
  page += "<script type=\"application/json\" id=\"data\">" + script_json(data) + "</script>\n";
  page += kPageScript;
  return page;
}

}  // namespace hearth
