// samenloop: the app's one script. Progressive enhancement only: every page works without it.
"use strict";

// The language switch returns to the page it was pressed on.
for (const input of document.querySelectorAll("input[data-current-path]")) {
  input.value = window.location.pathname + window.location.search;
}

// A live strength hint beside a new passphrase (the server applies the same rule).
function strength(text, min) {
  const len = Array.from(text).length;
  const kinds = [/\p{Ll}/u, /\p{Lu}/u, /\p{N}/u, /[^\p{L}\p{N}]/u].filter((re) => re.test(text)).length;
  if (len < min) return "too-short";
  if (len >= 20 || (len >= 14 && kinds >= 3)) return "strong";
  return "fair";
}
for (const input of document.querySelectorAll("input[data-strength-meter]")) {
  const meter = document.getElementById(input.dataset.strengthMeter);
  if (!meter) continue;
  const min = Number(meter.dataset.min) || 10;
  const labels = { "too-short": meter.dataset.tooShort, fair: meter.dataset.fair, strong: meter.dataset.strong };
  const show = () => {
    if (input.value === "") {
      meter.textContent = "";
      delete meter.dataset.level;
      return;
    }
    const level = strength(input.value, min);
    meter.dataset.level = level;
    meter.textContent = labels[level] || "";
  };
  input.addEventListener("input", show);
  show();
}

// Buttons that cannot be undone ask first (the server does not depend on it).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// Browser notifications, with the user's permission (asked on the settings page): a new referral or a
// change in a case while the app's tab is in the background.
function notify(kind) {
  if (!window.Notification || Notification.permission !== "granted" || !document.hidden) return;
  const text = document.body.dataset[kind === "case" ? "notifyCase" : "notifyReferrals"];
  if (text) new Notification("samenloop", { body: text, tag: kind });
}
const enable = document.querySelector("button[data-notify-enable]");
const state = document.getElementById("notify-state");
const showState = () => {
  if (!window.Notification || !state) return;
  state.textContent = Notification.permission === "granted" ? state.dataset.granted
    : Notification.permission === "denied" ? state.dataset.denied : "";
  if (enable) enable.hidden = Notification.permission !== "default";
};
if (enable && window.Notification) {
  enable.addEventListener("click", async () => {
    await Notification.requestPermission();
    showState();
  });
}
showState();

// Live pages: a page whose <main> names events in data-live is fetched again when the node reports one
// of them, and its main content replaced. A page with a form the user has started is not replaced; it
// shows a notice instead, so nothing typed is lost.
const live = document.querySelector("main[data-live]");
if (live && window.EventSource) {
  let dirty = false;
  live.addEventListener("input", () => (dirty = true));
  let pending = null;
  const refresh = async () => {
    pending = null;
    if (dirty) {
      const note = document.getElementById("live-note");
      if (note) note.hidden = false;
      return;
    }
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("main");
      if (next && !dirty) {
        // What the user opened stays open.
        const open = [...live.querySelectorAll("details[open][id]")].map((d) => d.id);
        live.innerHTML = next.innerHTML;
        for (const id of open) {
          const d = document.getElementById(id);
          if (d) d.open = true;
        }
        live.dispatchEvent(new CustomEvent("samenloop:updated", { bubbles: true }));
      }
    } catch {
      // The node is gone or restarting; the event stream reconnects by itself.
    }
  };
  const source = new EventSource("/events");
  // What changed between drawing the page and the stream's opening was never announced to it: look once.
  let opened = false;
  source.addEventListener("open", () => {
    if (!opened && !pending) pending = setTimeout(refresh, 40);
    opened = true;
  });
  for (const kind of live.dataset.live.split(/\s+/)) {
    source.addEventListener(kind, () => {
      if (kind === "referrals" || kind === "case") notify(kind);
      // Several events in a burst make one fetch.
      if (!pending) pending = setTimeout(refresh, 40);
    });
  }
}
