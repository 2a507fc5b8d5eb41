// keyhook's only script: small enhancements that every page works without.
// Loaded from /static so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "What does this event send?" follows the event chosen in its select.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[name=event]");
    var link = select && document.querySelector('a[data-event-link="' + select.id + '"]');
    if (link) {
      link.href = "/event-types" + (select.value ? "#" + select.value : "");
    }
  });

  // The workspace dropdown switches on change; without JavaScript its button does.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
      select.form.requestSubmit();
    }
  });

  // Copy buttons: data-copy names the element whose text to copy.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) {
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });

  // Links with data-dialog open that <dialog> instead of their fallback page.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (!opener) {
      return;
    }
    var dialog = document.getElementById(opener.getAttribute("data-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    event.preventDefault();
    // A dialog shared by a list's rows: the link names the row's form action and its name.
    var form = dialog.querySelector("form[method=post]");
    if (form && opener.dataset.action) {
      form.setAttribute("action", opener.dataset.action);
    }
    dialog.querySelectorAll("[data-fill]").forEach(function (slot) {
      var value = opener.dataset[slot.getAttribute("data-fill")];
      if (value !== undefined) {
        slot.textContent = value;
      }
    });
    var menu = opener.closest("details");
    if (menu) {
      menu.removeAttribute("open");
    }
    // Closing gives focus back to what opened it (the menu's button when a menu item did).
    var returnTo = menu ? menu.querySelector("summary") : opener;
    dialog.addEventListener("close", function () {
      if (returnTo && document.contains(returnTo)) {
        returnTo.focus();
      }
    }, { once: true });
    dialog.showModal();
    var field = dialog.querySelector("input:not([type=hidden]), select");
    if (field) {
      field.focus();
    }
  });

  // A key's one-time reveal opens as a modal dialog, so focus stays in it until Done.
  var reveal = document.querySelector("dialog.reveal[open]");
  if (reveal && typeof reveal.showModal === "function") {
    reveal.close();
    reveal.showModal();
  }

  // Escape closes an open menu and gives focus back to its button.
  document.addEventListener("keydown", function (event) {
    var menu = event.key === "Escape" && event.target.closest && event.target.closest("details[open]");
    if (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  });

  // A new attempt (Edit) or a delivery's new state (Details) appearing in a refreshing list is
  // said aloud (the list itself is replaced).
  function newestRow() {
    var row = document.querySelector("#attempts tbody.attempt, #deliveries tbody.delivery");
    if (!row) {
      return { key: "", row: null };
    }
    var state = row.querySelector(".state");
    return { key: row.id + (state ? ":" + state.textContent.trim() : ""), row: row };
  }
  var shownRow = newestRow().key;
  document.addEventListener("htmx:afterSwap", function () {
    var newest = newestRow();
    var announcer = document.getElementById("announcer");
    if (newest.key && newest.key !== shownRow && announcer) {
      var row = newest.row;
      var state = row.querySelector(".state");
      var status = row.querySelector(".status");
      var trigger = row.querySelector(".trigger");
      var what = state ? "Latest delivery: " + state.textContent.trim() + ", " : "New attempt: ";
      announcer.textContent = what + (status ? status.textContent.trim() : "") +
        (trigger ? ", " + trigger.textContent.trim() : "") + ".";
    }
    shownRow = newest.key;
  });

  // Toasts fade after a few seconds; the page keeps working without this.
  function dismissToastLater() {
    var toast = document.querySelector("#toast .toast");
    if (!toast || toast.dataset.timer) {
      return;
    }
    toast.dataset.timer = "1";
    setTimeout(function () {
      toast.classList.add("leaving");
      // Only the toast goes: its slot, the live region, stays for the next one.
      setTimeout(function () {
        toast.remove();
      }, 500);
    }, 6000);
  }
  dismissToastLater();
  document.addEventListener("htmx:afterSettle", dismissToastLater);

  // Close an open menu or confirmation when the user clicks elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[open].user-menu, details[open].confirm, details[open].dots").forEach(function (details) {
      if (!details.contains(event.target)) {
        details.removeAttribute("open");
      }
    });
  });
})();
