/* Upload progress of evidence files. The form is a plain multipart POST (works without JavaScript);
   with htmx loaded it is sent by XHR, and htmx reports the upload's progress as htmx:xhr:progress.
   The bar and the text next to it say the same thing (the text is what screen readers announce).
   htmx also reports the download of the answer as htmx:xhr:progress: once the file is fully
   sent, later events are ignored and the text says the server is storing the file. */
(function () {
  "use strict";

  function parts(form) {
    var box = form.querySelector("[data-upload-progress]");
    return box && {box: box, bar: box.querySelector("progress"), text: box.querySelector("[data-upload-text]")};
  }

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1); }

  function show(form, percent, message) {
    var p = parts(form);
    if (!p) { return; }
    p.box.hidden = false;
    if (percent === null) { p.bar.removeAttribute("value"); } else { p.bar.value = percent; p.bar.textContent = percent + "%"; }
    p.text.textContent = message;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload")) { return; }
    form.dataset.sent = "";
    form.querySelector("button[type=submit]").disabled = true;
    show(form, 0, form.dataset.msgSending + " 0%");
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target, d = event.detail;
    if (!form.hasAttribute || !form.hasAttribute("data-upload") || form.dataset.sent) { return; }
    if (!d.lengthComputable || !d.total) { show(form, null, form.dataset.msgSending); return; }
    var percent = Math.floor(d.loaded * 100 / d.total);
    show(form, percent, form.dataset.msgSending + " " + percent + "% (" + megabytes(d.loaded) + " / " + megabytes(d.total) + " MB)");
    if (d.loaded >= d.total) {
      form.dataset.sent = "1";
      show(form, 100, form.dataset.msgStoring);
    }
  });

  // htmx leaves 4xx answers unswapped: a refused form (400) is shown like any page; a file over the
  // limit (413) or a failed connection is said next to the bar, and the form may be sent again.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!form || !form.hasAttribute("data-upload")) { return; }
    var status = event.detail.xhr.status;
    if (status === 400) { event.detail.shouldSwap = true; event.detail.isError = false; return; }
    if (status >= 300) {
      show(form, 0, status === 413 ? event.detail.xhr.responseText : form.dataset.msgFailed);
      form.querySelector("button[type=submit]").disabled = false;
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload")) { return; }
    show(form, 0, form.dataset.msgFailed);
    form.querySelector("button[type=submit]").disabled = false;
  });
}());
