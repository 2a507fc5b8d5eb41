// keyhook's only script: small enhancements that every page works without.
// Loaded from /static so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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

  // Close an open menu or confirmation when the user clicks elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[open].user-menu, details[open].confirm").forEach(function (details) {
      if (!details.contains(event.target)) {
        details.removeAttribute("open");
      }
    });
  });
})();
