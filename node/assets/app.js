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
