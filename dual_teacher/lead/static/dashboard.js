// The lead teacher's dashboard: plain JS, no build step. Live over one WebSocket (/ws/dashboard).
"use strict";

const T = {
  en: {
    title: "Lead teacher", offline: "offline", online: "live", signout: "Sign out", password: "Dashboard password",
    signin: "Sign in", empty: "No classrooms yet: run `dual-teacher lead add-classroom NAME` on the server.",
    back: "← All classrooms", hands: "Hands up (in order)",
    mapHelp: "Front of the room at the top. Click a hand (or a seat) to call on it.", poll: "Question / poll",
    commands: "Commands", readonly: "The assisting teacher has turned remote control off: commands are only shown on the console.",
    pause: "Pause", resume: "Resume", toLesson: "Switch to AI lesson", toLive: "Back to live", startPoll: "Start hand poll",
    showQuestion: "Show question card", sendNote: "Send note", log: "Commands the classroom received",
    health: "Stage health", alerts: "Alerts", pollPrompt: "Hands up if ...", questionPrompt: "Question",
    choices: "Choices, comma separated", notePrompt: "Note to the assisting teacher",
    connected: "connected", disconnected: "not connected", waiting: "waiting to start", running: "running",
    paused: "paused", ended: "ended", lesson: "AI lesson", live: "live", fallback: "AI lesson (stream lost)",
    none: "-", head: "head count", handsUp: "hands up", correct: "correct", attention: "attention",
    step: "step", of: "of", responses: "responses", open: "open", closed: "closed", handsCount: "hands",
    noPoll: "No question yet.", sent: "sent to the classroom", notSent: "not delivered: the classroom is offline",
    accepted: "done", refused: "shown only (remote control off)", wrong: "Wrong password.", lastSeen: "last update",
    call_on_seat: "call on a seat", hand_poll: "hand poll", question: "question card", switch_source: "switch",
    note: "note", pause_cmd: "pause", resume_cmd: "resume", none_yet: "none yet",
  },
  "zh-Hans": {
    title: "主讲教师", offline: "离线", online: "在线", signout: "退出", password: "控制台密码", signin: "登录",
    empty: "还没有教室：请在服务器上运行 `dual-teacher lead add-classroom 名称`。", back: "← 全部教室",
    hands: "举手顺序", mapHelp: "上方为教室前方。点击举手的座位即可点名。", poll: "题目 / 举手投票", commands: "指令",
    readonly: "辅导教师已关闭远程控制：指令只显示在控制台上。", pause: "暂停", resume: "继续", toLesson: "切换到 AI 课程",
    toLive: "回到直播", startPoll: "开始举手投票", showQuestion: "显示题目卡", sendNote: "发送留言",
    log: "教室收到的指令", health: "各环节状态", alerts: "提醒", pollPrompt: "请举手，如果……", questionPrompt: "题目",
    choices: "选项，用逗号分隔", notePrompt: "给辅导教师的留言", connected: "已连接", disconnected: "未连接",
    waiting: "等待开始", running: "进行中", paused: "已暂停", ended: "已结束", lesson: "AI 课程", live: "直播",
    fallback: "AI 课程（直播中断）", none: "-", head: "人数", handsUp: "举手", correct: "正确率", attention: "专注",
    step: "第", of: "/", responses: "人作答", open: "进行中", closed: "已结束", handsCount: "人举手",
    noPoll: "还没有题目。", sent: "已发送到教室", notSent: "未送达：教室离线", accepted: "已执行",
    refused: "仅显示（远程控制已关闭）", wrong: "密码错误。", lastSeen: "最近更新", call_on_seat: "点名",
    hand_poll: "举手投票", question: "题目卡", switch_source: "切换", note: "留言", pause_cmd: "暂停", resume_cmd: "继续",
    none_yet: "暂无", dropped: "丢弃", notCounted: "已显示在教室大屏上；不统计作答。",
    st_ok: "正常", st_degraded: "降级", st_failed: "故障", st_off: "关闭",
    sg_lesson: "课程", "sg_event store": "保存", "sg_simulated-class": "模拟课堂", sg_camera: "摄像头",
    sg_microphone: "麦克风", sg_display: "大屏", "sg_live stream": "直播", sg_perception: "视觉分析", sg_speech: "语音",
  },
};

let lang = localStorage.getItem("dt-lang") || (navigator.language.startsWith("zh") ? "zh-Hans" : "en");
const rooms = new Map();
let ws = null;
let current = null;
let retry = 500;
let cmdSeq = 0;
let ackKey = "";
const $ = (id) => document.getElementById(id);
const t = (k) => (T[lang] && T[lang][k]) || T.en[k] || k;
const tOr = (k, fallback) => (T[lang] && T[lang][k]) || T.en[k] || fallback;

function el(tag, attrs, ...kids) {
  const e = document.createElementNS(tag === "svg" || attrs?.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "svg") continue;
    if (k === "text") e.textContent = v;
    else if (k === "style") e.style.cssText = v; // CSSOM: allowed by the page's CSP (style attributes are not)
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null) e.append(kid);
  return e;
}

function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((n) => { n.textContent = t(n.dataset.t); });
  document.querySelectorAll("[data-tp]").forEach((n) => { n.placeholder = t(n.dataset.tp); });
  $("conn").textContent = ws && ws.readyState === 1 ? t("online") : t("offline");
  if (ackKey) $("d-ack").textContent = t(ackKey);
  renderAll();
}

function pct(v) { return v == null ? "-" : Math.round(v * 100) + "%"; }

function onAirBadge(s) {
  const lesson = s.lesson || {};
  const status = lesson.status || "waiting";
  if (status === "paused") return el("span", { class: "badge paused", text: t("paused") });
  if (status !== "running") return el("span", { class: "badge", text: t(status) });
  const air = s.on_air || "none";
  return el("span", { class: "badge " + air, text: t(air) });
}

function seatMap(s, big, onCall) {
  const svg = el("svg", { class: "seatmap" + (big ? " big" : ""), viewBox: "0 0 100 62", svg: true });
  svg.append(el("rect", { svg: true, class: "front", x: 30, y: 0, width: 40, height: 2 }));
  (s.hands || []).forEach((h, i) => {
    const cx = 4 + h.x * 92, cy = 6 + h.y * 52;
    const dot = el("circle", { svg: true, class: "hand" + (h.called ? " called" : ""), cx, cy, r: big ? 3.2 : 2.6,
      "data-order": i + 1, "data-x": h.x, "data-y": h.y });
    if (onCall) dot.addEventListener("click", (ev) => { ev.stopPropagation(); onCall(h.x, h.y); });
    svg.append(dot, el("text", { svg: true, x: cx, y: cy, text: String(i + 1) }));
  });
  if (onCall) {
    svg.addEventListener("click", (ev) => {
      const r = svg.getBoundingClientRect();
      const x = Math.min(1, Math.max(0, ((ev.clientX - r.left) / r.width * 100 - 4) / 92));
      const y = Math.min(1, Math.max(0, ((ev.clientY - r.top) / r.height * 62 - 6) / 52));
      onCall(Math.round(x * 100) / 100, Math.round(y * 100) / 100);
    });
  }
  return svg;
}

function pollView(s) {
  const p = s.poll;
  if (!p) return el("p", { class: "muted", text: t("noPoll") });
  const box = el("div", { class: "bars" });
  box.append(el("div", { text: (p.prompt || p.node) + " · " + (p.open ? t("open") : t("closed")) }));
  if (p.node === "lead" && p.kind === "question") {  // the lead teacher's own card: shown, answers not counted
    (p.choices || []).forEach((c, i) => box.append(el("div", { text: String.fromCharCode(65 + i) + ". " + c })));
    box.append(el("div", { class: "muted", text: t("notCounted") }));
  } else if (p.kind === "hand_poll") {
    box.append(el("div", { text: p.hands + " " + t("handsCount") }));
  } else {
    const total = Math.max(1, p.responses);
    for (const [k, v] of Object.entries(p.tally || {})) {
      box.append(el("div", { class: "bar" }, el("span", { class: "k", text: k }),
        el("span", { class: "v", style: "width:" + Math.round((v / total) * 160) + "px" }), el("span", { text: String(v) })));
    }
    box.append(el("div", { class: "muted", text: p.responses + " " + t("responses") +
      (p.correct_rate != null ? " · " + t("correct") + " " + pct(p.correct_rate) : "") }));
  }
  return box;
}

function figures(s) {
  const head = s.head ? (s.head.lo === s.head.hi ? String(s.head.n) : `${s.head.n} (${s.head.lo}–${s.head.hi})`) : "-";
  const ans = s.answers || {};
  return el("div", { class: "figures" },
    el("div", {}, el("b", { text: head }), t("head")),
    el("div", {}, el("b", { text: String((s.hands || []).length) }), t("handsUp")),
    el("div", {}, el("b", { text: pct(ans.correct_rate) }), t("correct")),
    el("div", {}, el("b", { text: s.attention ? pct(s.attention.share) : "-" }), t("attention")));
}

function position(s) {
  const l = s.lesson || {};
  if (!l.title) return t("waiting");
  const step = l.steps ? ` · ${t("step")} ${l.step} ${t("of")} ${l.steps}` : "";
  const mins = l.t != null ? ` · ${Math.floor(l.t / 60)}:${String(l.t % 60).padStart(2, "0")}` : "";
  return `${l.title} — ${l.node_title || l.node || ""}${step}${mins}`;
}

function tile(r) {
  const s = r.state || {};
  const alerts = s.alerts || [];
  const box = el("div", { class: "tile" + (r.connected ? " on" : "") + (alerts.length ? " alerting" : ""),
    "data-room": r.id, onclick: () => openDetail(r.id) });
  box.append(el("h2", {}, r.name, el("span", { class: "badge " + (r.connected ? "on" : "off"),
    text: r.connected ? t("connected") : t("disconnected") }), onAirBadge(s)));
  box.append(el("div", { class: "pos", text: position(s) }));
  if (!r.connected && r.updated) {
    const when = new Date(r.updated * 1000);
    box.append(el("div", { class: "muted", text: `${t("lastSeen")}: ${when.toLocaleString(lang)}` }));
  }
  box.append(figures(s), seatMap(s, false, null), pollView(s));
  alerts.slice(0, 2).forEach((a) => box.append(el("div", { class: "alert", text: "⚠ " + a.message })));
  return box;
}

function renderAll() {
  const tiles = $("tiles");
  tiles.replaceChildren(...[...rooms.values()].map(tile));
  $("empty").classList.toggle("hidden", rooms.size > 0);
  if (current) renderDetail();
}

function renderOne(id) {
  const r = rooms.get(id);
  const old = document.querySelector(`.tile[data-room="${id}"]`);
  if (old && r) old.replaceWith(tile(r)); else renderAll();
  if (current === id) renderDetail();
}

function send(kind, extra) {
  if (!current || !ws || ws.readyState !== 1) return;
  const id = "c" + (++cmdSeq);
  ws.send(JSON.stringify({ room: current, type: "command", id, kind, ...extra }));
  ackKey = "";
  $("d-ack").textContent = "…";
}

function openDetail(id) {
  current = id;
  $("grid-view").classList.add("hidden");
  $("detail").classList.remove("hidden");
  $("d-ack").textContent = "";
  renderDetail();
}

function renderDetail() {
  const r = rooms.get(current);
  if (!r) return;
  const s = r.state || {};
  $("d-name").replaceChildren(r.name + " ", el("span", { class: "badge " + (r.connected ? "on" : "off"),
    text: r.connected ? t("connected") : t("disconnected") }), " ", onAirBadge(s));
  $("d-summary").replaceChildren(el("div", { text: position(s) }), figures(s));
  const map = seatMap(s, true, (x, y) => send("call_on_seat", { x, y }));
  map.id = "d-map";
  $("d-map").replaceWith(map);
  $("d-poll").replaceChildren(pollView(s));
  $("d-readonly").classList.toggle("hidden", s.remote_control !== false);
  document.querySelectorAll("#detail .cmds button, #detail .cmdform button").forEach((b) => { b.disabled = !r.connected; });
  $("cmd-live").disabled = !r.connected || s.live_ok == null;
  $("d-log").replaceChildren(...(s.lead_log || []).map((e) => el("li", {
    text: `${Math.floor(e.t / 60)}:${String(Math.floor(e.t % 60)).padStart(2, "0")} ${t(e.command === "pause" || e.command === "resume" ? e.command + "_cmd" : e.command)} — ${e.accepted ? t("accepted") : t("refused")}` })));
  if (!(s.lead_log || []).length) $("d-log").replaceChildren(el("li", { class: "muted", text: t("none_yet") }));
  $("d-health").replaceChildren(...(s.health || []).map((h) => el("tr", {}, el("td", { text: tOr("sg_" + h.stage, h.stage) }),
    el("td", { text: tOr("st_" + h.state, h.state) }), el("td", { text: h.dropped ? t("dropped") + " " + h.dropped : "" }))));
  $("d-alerts").replaceChildren(...(s.alerts || []).map((a) => el("li", { text: a.message })));
}

function connect() {
  const proto = location.protocol === "https:" ? "wss://" : "ws://";
  ws = new WebSocket(proto + location.host + "/ws/dashboard");
  ws.onopen = () => { retry = 500; $("conn").textContent = t("online"); $("conn").className = "badge on"; };
  ws.onclose = (ev) => {
    $("conn").textContent = t("offline"); $("conn").className = "badge off";
    if (ev.code === 1008) { showSignin(); return; }
    setTimeout(connect, retry); retry = Math.min(15000, retry * 2);
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "rooms") {
      rooms.clear();
      for (const r of msg.rooms) rooms.set(r.id, r);
      renderAll();
    } else if (msg.type === "update") {
      for (const u of msg.rooms) {
        const r = rooms.get(u.id) || { id: u.id, name: u.id, state: {} };
        r.connected = u.connected; r.ts = u.ts;
        if (Object.keys(u.patch).length) r.updated = Date.now() / 1000;
        Object.assign(r.state, u.patch);
        rooms.set(u.id, r);
        renderOne(u.id);
      }
      window.__lastUpdate = Date.now();
    } else if (msg.type === "ack") {
      ackKey = msg.delivered ? "sent" : "notSent";
      $("d-ack").textContent = t(ackKey);
    } else if (msg.type === "error") {
      ackKey = "";
      $("d-ack").textContent = msg.message;
    }
  };
}

function showSignin() {
  $("signin-view").classList.remove("hidden");
  $("grid-view").classList.add("hidden");
  $("detail").classList.add("hidden");
  $("signout").classList.add("hidden");
}

function showGrid() {
  $("signin-view").classList.add("hidden");
  $("detail").classList.add("hidden");
  $("grid-view").classList.remove("hidden");
  $("signout").classList.remove("hidden");
  current = null;
  renderAll();
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("signin-error").textContent = "";
  const res = await fetch("/api/login", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: $("password").value }) });
  if (!res.ok) { $("signin-error").textContent = res.status === 401 ? t("wrong") : (await res.json()).error; return; }
  $("password").value = "";
  showGrid();
  connect();
});
$("signout").addEventListener("click", async () => {
  await fetch("/api/logout", { method: "POST" });
  if (ws) ws.close();
  showSignin();
});
$("back").addEventListener("click", showGrid);
$("lang-en").addEventListener("click", () => { lang = "en"; localStorage.setItem("dt-lang", lang); applyLang(); });
$("lang-zh").addEventListener("click", () => { lang = "zh-Hans"; localStorage.setItem("dt-lang", lang); applyLang(); });
$("cmd-pause").addEventListener("click", () => send("pause", {}));
$("cmd-resume").addEventListener("click", () => send("resume", {}));
$("cmd-lesson").addEventListener("click", () => send("switch_source", { source: "lesson" }));
$("cmd-live").addEventListener("click", () => send("switch_source", { source: "live" }));
$("poll-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  send("hand_poll", { prompt: $("poll-prompt").value });
  $("poll-prompt").value = "";
});
$("question-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const choices = $("question-choices").value.split(/[,，]/).map((c) => c.trim()).filter(Boolean).slice(0, 6);
  send("question", { prompt: $("question-prompt").value, choices });
  $("question-prompt").value = "";
  $("question-choices").value = "";
});
$("note-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  send("note", { text: $("note-text").value });
  $("note-text").value = "";
});

applyLang();
// Already signed in (cookie)? The rooms API says.
fetch("/api/rooms").then((res) => { if (res.ok) { showGrid(); connect(); } });
