// The audit page's behaviour: autosave feedback, the "both views and why" box, and no full-page
// posts from the autosaving items. Served from the audits app (script-src 'self').
(function () {
  // Refused saves come back as 4xx with a message for the person: show it where the item is.
  var SHOWN = [400, 403, 409, 423];
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (SHOWN.indexOf(event.detail.xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  function statusOf(element) {
    var form = element.closest && element.closest("form.audit-item");
    return form ? form.querySelector(".save-status") : null;
  }
  function say(element, text, classes) {
    var status = statusOf(element);
    // A conflict message holds the person's unsaved text: leave it until they reload.
    if (!status || status.classList.contains("alert-warning")) return;
    status.className = "save-status small " + classes;
    status.textContent = text;
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "post") say(event.detail.elt, "Saving…", "text-body-secondary");
  });
  ["htmx:sendError", "htmx:responseError"].forEach(function (name) {
    document.body.addEventListener(name, function (event) {
      say(event.detail.elt, "Not saved: check your connection, then change the answer again.", "alert alert-danger py-1 px-2 mt-2 mb-0");
    });
  });
  // "Both views and why" appears as soon as the two ratings differ.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.audit-item");
    var box = form && form.querySelector("[data-differs]");
    if (!box) return;
    var own = form.querySelector("input[name=self_level]:checked");
    var auditor = form.querySelector("input[name=auditor_level]:checked");
    var differs = own && auditor && own.value !== auditor.value;
    box.classList.toggle("d-none", !differs && !box.querySelector("textarea").value);
  });
  // The items save themselves: Enter in a field must not post the page.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form.audit-item")) event.preventDefault();
  });
})();
