// junkan dashboard: selectors submit the page's GET form (URLs stay linkable); charts are drawn with
// vega-embed (served by junkan itself, /static/vega-bundle.js) from the page's JSON twin.
const main = document.getElementById("page");
const form = document.getElementById("selectors");

if (form) {
  for (const sel of form.querySelectorAll("select")) {
    sel.addEventListener("change", () => form.requestSubmit());
  }
  // Empty selections ("all fields", default years) are left out of the URL.
  form.addEventListener("submit", () => {
    for (const el of form.elements) {
      if (el.name && el.value === "") el.disabled = true;
    }
  });
}

// Pan and zoom for the science map: bind an interval selection to the scales of a single x/y view.
function withZoom(spec) {
  const view = spec.layer ? spec.layer[0] : spec;
  const enc = view && view.encoding;
  const quantitative = (ch) => ch && ch.type === "quantitative";
  if (!enc || !quantitative(enc.x) || !quantitative(enc.y)) return spec;
  const all = [spec, ...(spec.layer || [])].flatMap((v) => v.params || []);
  if (all.some((p) => p.bind === "scales")) return spec; // the chart already pans and zooms
  view.params = [...(view.params || []), { name: "junkan_zoom", select: "interval", bind: "scales" }];
  return spec;
}

async function draw() {
  if (!main || !main.dataset.api) return;
  const res = await fetch(main.dataset.api, { headers: { Accept: "application/json" } });
  if (!res.ok) {
    const doc = await res.json().catch(() => ({ error: res.statusText }));
    console.error(`junkan: ${main.dataset.api}: ${doc.error}`);
    return;
  }
  const doc = await res.json();
  let drawn = 0;
  for (const chart of doc.charts) {
    const el = document.getElementById(`vis-${chart.id}`);
    if (!el || chart.error || !chart.spec) continue;
    let spec = chart.spec;
    if (doc.page === "map") {
      spec = withZoom(structuredClone(spec));
      el.title = main.dataset.zoomHint || "";
    }
    try {
      el.textContent = "";
      await window.vegaEmbed(el, spec, {
        renderer: "svg",
        actions: { export: true, source: false, compiled: false, editor: false },
      });
      el.dataset.rendered = "true";
      drawn += 1;
    } catch (err) {
      el.textContent = String(err);
      console.error(`junkan: chart ${chart.id}: ${err}`);
    }
  }
  main.dataset.drawn = String(drawn);
  document.body.dataset.ready = "true";
}

draw();
