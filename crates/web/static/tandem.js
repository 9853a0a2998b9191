// Tandem: keyboard shortcuts and live deadlines. Plain JavaScript, no
// framework. The pages work without it; the CSP allows only this file, so
// nothing here may be inline in a template.
//
// Shortcuts (none while typing in a field, none with Ctrl, Alt or Meta):
//   j / k   the queue (#queue): select the next / previous ticket
//   Enter   the queue: open the selected ticket
//   c       a ticket page: write a reply (#comment-body)
//   /       search: the queue's #search box; elsewhere, go to the queue
//           (/tickets?view=all#search) and focus its search box there
//   ?       show the shortcuts (dialog#shortcuts); Escape closes it
"use strict";

(() => {
  // ---------------------------------------------------------------------
  // Live deadlines: <time class="due" data-due="EPOCH_MS">due in 2 h</time>.
  // The words follow the server's rules exactly (ui/local.rs, `span`).
  // ---------------------------------------------------------------------

  /** "less than a minute", "14 min", "2 h 5 min", "1 day 3 h", "4 days". */
  function span(m) {
    if (m < 1) return "less than a minute";
    if (m < 60) return `${m} min`;
    if (m < 1440) {
      const h = Math.floor(m / 60);
      const mm = m % 60;
      return mm > 0 ? `${h} h ${mm} min` : `${h} h`;
    }
    const d = Math.floor(m / 1440);
    const h = Math.floor((m % 1440) / 60);
    const days = d === 1 ? `${d} day` : `${d} days`;
    return d < 3 && h > 0 ? `${days} ${h} h` : days;
  }

  function dueText(due, now) {
    return due >= now
      ? `due in ${span(Math.floor((due - now) / 60000))}`
      : `overdue by ${span(Math.floor((now - due) / 60000))}`;
  }

  function refreshDeadlines() {
    const now = Date.now();
    for (const el of document.querySelectorAll("time.due[data-due]")) {
      const due = Number(el.dataset.due);
      if (!Number.isFinite(due)) continue;
      const wasOverdue = el.textContent.trim().startsWith("overdue");
      const overdue = due < now;
      const text = dueText(due, now);
      if (el.textContent !== text) el.textContent = text;
      if (overdue !== wasOverdue) el.classList.toggle("overdue", overdue);
    }
  }

  // ---------------------------------------------------------------------
  // Keyboard shortcuts
  // ---------------------------------------------------------------------

  function isTyping(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
  }

  function isControl(el) {
    return !!el && el !== document.body && !!el.closest("a[href], button, summary, [tabindex]");
  }

  function queueRows() {
    return Array.from(document.querySelectorAll("#queue tbody tr")).filter((r) =>
      r.querySelector("a[href]"),
    );
  }

  /** Move the queue's selection by `step` rows; the first move selects the first row. */
  function moveSelection(step) {
    const rows = queueRows();
    if (rows.length === 0) return false;
    const at = rows.findIndex((r) => r.classList.contains("selected"));
    const next = at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + step));
    rows.forEach((r, i) => {
      r.classList.toggle("selected", i === next);
      r.setAttribute("aria-selected", i === next ? "true" : "false");
    });
    const row = rows[next];
    row.scrollIntoView({ block: "nearest" });
    // Focus follows the selection, so that a screen reader says where we are.
    const link = row.querySelector("a[href]");
    if (link) link.focus({ preventScroll: true });
    return true;
  }

  function openSelected() {
    const row = document.querySelector("#queue tbody tr.selected");
    const link = row && row.querySelector("a[href]");
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function focusSearch() {
    const search = document.getElementById("search");
    if (search) {
      search.focus();
      search.select();
      return true;
    }
    // Signed-in pages only (they have the navigation): go to the queue.
    if (document.getElementById("nav-tickets")) {
      window.location.assign("/tickets?view=all#search");
      return true;
    }
    return false;
  }

  function focusReply() {
    const body = document.getElementById("comment-body");
    if (!body) return false;
    body.focus();
    return true;
  }

  function helpDialog() {
    const d = document.getElementById("shortcuts");
    return d && typeof d.showModal === "function" ? d : null;
  }

  function openHelp() {
    const d = helpDialog();
    if (!d) return false;
    if (!d.open) d.showModal();
    return true;
  }

  function onKey(e) {
    if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.altKey || e.metaKey) return;
    const help = helpDialog();
    if (help && help.open) {
      // The browser closes a modal dialog on Escape; this covers the rest.
      if (e.key === "Escape") {
        help.close();
        e.preventDefault();
      }
      return;
    }
    if (isTyping(e.target) || isTyping(document.activeElement)) return;
    let done = false;
    switch (e.key) {
      case "j":
        done = moveSelection(1);
        break;
      case "k":
        done = moveSelection(-1);
        break;
      case "Enter":
        // A focused link or button does its own thing.
        if (!isControl(document.activeElement)) done = openSelected();
        break;
      case "c":
        done = focusReply();
        break;
      case "/":
        done = focusSearch();
        break;
      case "?":
        done = openHelp();
        break;
      default:
        break;
    }
    if (done) e.preventDefault();
  }

  // ---------------------------------------------------------------------
  // Live lists: <div id="firing-live" data-src="URL" data-every="SECONDS">
  // is read again from URL (a GET of the same page) every SECONDS while
  // the tab is visible, and its contents replaced by the server's new
  // rendering of it: the same escaped markup, never a key or a form.
  // ---------------------------------------------------------------------

  function refreshLive(live) {
    if (document.hidden) return;
    fetch(live.dataset.src, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => {
        if (!html) return;
        const doc = new DOMParser().parseFromString(html, "text/html");
        const fresh = doc.getElementById(live.id);
        if (fresh) live.replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
        refreshDeadlines();
      })
      .catch(() => {});
  }

  function start() {
    document.addEventListener("keydown", onKey);
    const opener = document.getElementById("shortcuts-open");
    if (opener && helpDialog()) {
      opener.hidden = false;
      opener.addEventListener("click", openHelp);
    }
    if (window.location.hash === "#search") {
      const search = document.getElementById("search");
      if (search) search.focus();
    }
    refreshDeadlines();
    window.setInterval(refreshDeadlines, 30000);
    const live = document.getElementById("firing-live");
    if (live && live.dataset.src) {
      window.setInterval(() => refreshLive(live), 1000 * (Number(live.dataset.every) || 15));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// A "Copy" button copies the value of the field its data-copy names (the
// vault's revealed secret); without the clipboard API the field is
// selected for the person to copy.
(() => {
  "use strict";
  document.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("[data-copy]") : null;
    if (!button) return;
    const field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(() => {
        button.textContent = "Copied";
      }, () => {});
    }
  });
})();
