// The care team's Mini App: the dashboard and one runner's page. Every text comes from the
// server in the member's language; every element is built with textContent (never HTML).
"use strict";

(function () {
  const tg = (window.Telegram && window.Telegram.WebApp) || null;
  const initData = tg ? tg.initData || "" : "";
  const root = document.getElementById("app");
  const SVG = "http://www.w3.org/2000/svg";
  let texts = {};

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  async function api(path, body) {
    const options = { headers: { Authorization: "tma " + initData }, cache: "no-store" };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch("api/" + path, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { ok: response.ok, status: response.status, data: data };
  }

  function showError(text) {
    root.replaceChildren(el("p", { class: "message error", id: "error" }, text || "…"));
  }

  function sparkline(points, days) {
    const w = 100, h = 28;
    const s = svg("svg", { class: "spark", viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none" });
    s.append(svg("line", { x1: 0, x2: w, y1: h - 1, y2: h - 1 }));
    if (points.length) {
      const xy = points.map(([d, p]) => `${(d / Math.max(1, days - 1)) * w},${h - 2 - (p / 10) * (h - 4)}`);
      s.append(svg("polyline", { points: xy.join(" ") }));
    }
    return s;
  }

  // ------------------------------------------------------------ the dashboard
  async function dashboard() {
    const r = await api("dashboard");
    if (!r.ok) return showError(r.data.error);
    texts = r.data.texts;
    document.documentElement.lang = r.data.lang;
    const list = el("section", { id: "runners" });
    if (!r.data.runners.length) list.append(el("p", { class: "muted" }, texts.nobody));
    for (const p of r.data.runners) {
      const card = el(
        "button",
        { class: "card runner", "data-runner": String(p.id), onclick: () => go(p.id) },
        el("div", { class: "row" },
          el("span", { class: "name" }, p.name),
          el("span", { class: "badge " + p.status }, p.status_text)),
        el("div", { class: "small" }, p.stage_text),
        p.controls ? el("div", { class: "small muted" }, p.controls) : null,
        el("div", { class: "small muted" },
          texts.last_checkin + ": " + (p.last_checkin || texts.no_checkin) +
          (p.adherence ? " · " + texts.adherence + ": " + p.adherence : "")),
        ...p.alerts.map((a) => el("div", { class: "alert" }, a)),
        sparkline(p.spark, p.spark_days),
      );
      list.append(card);
    }
    root.replaceChildren(el("h1", {}, texts.title), list);
    if (tg && tg.BackButton) tg.BackButton.hide();
  }

  // ------------------------------------------------------------ one runner
  function chart(c) {
    const W = 320, H = 200, L = 22, R = 6, T = 8, B = 22;
    const iw = W - L - R, ih = H - T - B;
    const s = svg("svg", { class: "chart", id: "chart", viewBox: `0 0 ${W} ${H}` });
    const x = (d) => L + ((d + 0.5) / c.days) * iw;
    const y = (p) => T + ih - (p / 10) * ih;
    const maxMin = Math.max(30, ...c.points.map((p) => p.minutes));
    s.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: T + ih, y2: T + ih }));
    for (const v of [0, 5, 10]) {
      const t = svg("text", { x: 2, y: y(v) + 3 }); t.textContent = String(v); s.append(t);
    }
    s.append(svg("line", { class: "ceiling", x1: L, x2: W - R, y1: y(c.ceiling), y2: y(c.ceiling) }));
    const bw = Math.max(2, iw / c.days - 2);
    for (const p of c.points) {
      const bh = (p.minutes / maxMin) * ih;
      s.append(svg("rect", { class: "bar", x: x(p.x) - bw / 2, y: T + ih - bh, width: bw, height: bh }));
    }
    const line = (key, cls) => {
      const pts = c.points.filter((p) => p[key] !== null);
      if (pts.length > 1) s.append(svg("polyline", { class: cls, points: pts.map((p) => `${x(p.x)},${y(p[key])}`).join(" ") }));
      for (const p of pts) s.append(svg("circle", { class: "dot-" + cls, cx: x(p.x), cy: y(p[key]), r: 3 }));
    };
    line("during", "during");
    line("after", "after");
    const first = svg("text", { x: L, y: H - 6 }); first.textContent = c.first; s.append(first);
    const last = svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }); last.textContent = c.last; s.append(last);
    const picked = svg("rect", { class: "picked", x: 0, y: T, width: 0, height: ih });
    s.append(picked);
    const detail = el("div", { class: "card small", id: "day" }, texts.chart_hint);
    const slot = iw / c.days;
    for (const p of c.points) {
      const hit = svg("rect", { class: "hit", x: x(p.x) - slot / 2, y: T, width: slot, height: ih, "data-x": p.x });
      hit.addEventListener("click", () => {
        picked.setAttribute("x", x(p.x) - slot / 2); picked.setAttribute("width", slot);
        detail.replaceChildren(
          el("div", { class: "name" }, p.date),
          el("div", {}, p.outcome),
          p.skipped ? el("div", { class: "muted" }, texts.skipped) : el("div", {},
            `${texts.pain_during}: ${p.during}/10 · ${texts.pain_after}: ${p.after}/10`),
          el("div", {}, `${texts.minutes}: ${p.minutes} · ${texts.running}: ${p.running}`),
          el("div", {}, `${texts.morning}: ${p.morning || "–"}`),
        );
      });
      s.append(hit);
    }
    return [s, el("div", { class: "legend" },
      el("span", { class: "l-during" }, "— " + texts.pain_during),
      el("span", { class: "l-after" }, "- - " + texts.pain_after),
      el("span", {}, "▮ " + texts.minutes),
      el("span", {}, "┈ " + c.ceiling_text)), detail];
  }

  function actions(p, rid, weeks) {
    const box = el("section", { class: "actions", id: "actions" }, el("h2", {}, texts.actions));
    const message = el("div", { id: "message" });
    async function send(body) {
      body.state = p.state; body.decision = p.decision;
      const r = await api(`runner/${rid}/act`, body);
      if (r.status === 401 || r.status === 404) return showError(r.data.error);
      await page(rid, weeks);
      const m = document.getElementById("message");
      if (m) {
        m.className = "message" + (r.data.done ? "" : " error");
        m.textContent = r.data.message || "";
      }
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(r.data.done ? "success" : "warning");
    }
    box.append(message);
    if (p.held) {
      box.append(el("button", { class: "primary", id: "resume", onclick: () => send({ op: "resume" }) }, texts.resume));
    } else {
      const reason = el("textarea", { id: "hold-reason", maxlength: "300", placeholder: texts.hold_reason });
      box.append(reason, el("button", { class: "primary", id: "hold", onclick: () => send({ op: "hold", text: reason.value }) }, texts.hold));
    }
    const cap = el("select", { id: "cap-stage" });
    for (const o of p.cap_options) cap.append(el("option", { value: String(o.n) }, o.label));
    cap.append(el("option", { value: "9" }, texts.no_cap));
    cap.value = p.cap === null ? "9" : String(p.cap);
    box.append(cap, el("button", { class: "primary", id: "cap", onclick: () => send({ op: "cap", n: Number(cap.value) }) }, texts.cap));
    if (p.referred) {
      const to = el("select", { id: "clear-stage", "aria-label": texts.clear_to });
      for (const o of p.clear_options) to.append(el("option", { value: String(o.n) }, o.label));
      box.append(to, el("button", { class: "primary", id: "clear", onclick: () => send({ op: "clear", n: Number(to.value) }) }, texts.clear));
    }
    const note = el("textarea", { id: "note-text", maxlength: "600", placeholder: texts.note_hint });
    box.append(note, el("button", { class: "primary", id: "note", onclick: () => send({ op: "note", text: note.value }) }, texts.note));
    box.append(el("button", { class: "primary", id: "pdf", onclick: () => send({ op: "pdf" }) }, texts.pdf));
    return box;
  }

  async function page(rid, weeks) {
    const r = await api(`runner/${rid}?weeks=${weeks}`);
    if (!r.ok) return showError(r.data.error);
    const p = r.data;
    texts = p.texts;
    document.documentElement.lang = p.lang;
    const tabs = el("div", { class: "tabs", role: "group" });
    for (const w of p.windows) {
      tabs.append(el("button", {
        "aria-pressed": String(w === p.weeks), "data-weeks": String(w),
        onclick: () => page(rid, w),
      }, w === 0 ? texts.all : texts.weeks.replace("{n}", String(w))));
    }
    const timeline = el("ul", { class: "plain", id: "timeline" });
    for (const d of p.timeline) {
      timeline.append(el("li", { class: "card" },
        el("div", { class: "row" }, el("b", {}, d.action), el("span", { class: "muted small" }, d.date)),
        el("div", { class: "small" }, d.stage),
        d.reasons.length ? el("div", { class: "small muted" }, p.told) : null,
        ...d.reasons.map((w) => el("div", { class: "small" }, w))));
    }
    if (!p.timeline.length) timeline.append(el("li", { class: "muted" }, texts.none_yet));
    const tests = el("ul", { class: "plain", id: "reassessments" });
    for (const t of p.reassessments) {
      tests.append(el("li", { class: "card small" }, el("b", {}, t.date),
        ...[["passed", "gate-passed"], ["failed", "gate-failed"], ["untested", "muted"]]
          .filter(([k]) => t[k].length)
          .map(([k, cls]) => el("div", { class: cls }, texts[k] + ": " + t[k].join(", ")))));
    }
    if (!p.reassessments.length) tests.append(el("li", { class: "muted" }, texts.none_yet));
    root.replaceChildren(
      tg && tg.BackButton ? el("span") : el("button", { class: "back", onclick: dashboard }, "‹ " + texts.back),
      el("div", { class: "card", id: "glance" },
        el("div", { class: "row" }, el("h1", {}, p.name), el("span", { class: "badge " + p.status }, p.status_text)),
        el("div", { class: "small" }, p.stage_text),
        p.controls ? el("div", { class: "small muted" }, p.controls) : null,
        el("div", { class: "small muted" }, texts.last_checkin + ": " + (p.last_checkin || texts.no_checkin) +
          (p.adherence ? " · " + texts.adherence + ": " + p.adherence : "")),
        ...p.alerts.map((a) => el("div", { class: "alert" }, a))),
      el("h2", {}, texts.chart), tabs, ...chart(p.chart),
      actions(p, rid, p.weeks),
      el("h2", {}, texts.decisions), timeline,
      el("h2", {}, texts.reassessments), tests,
    );
    if (tg && tg.BackButton) tg.BackButton.show();
  }

  function go(rid) { page(rid, 4); }

  if (tg) {
    tg.ready();
    if (tg.expand) tg.expand();
    if (tg.BackButton && tg.BackButton.onClick) tg.BackButton.onClick(dashboard);
  }
  const wanted = new URLSearchParams(window.location.search).get("runner");
  if (wanted && /^\d{1,12}$/.test(wanted)) go(Number(wanted)); else dashboard();
})();
