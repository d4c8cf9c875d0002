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

/* Resumable uploads (tus 1.0.0; evidence/uploads.py) for files above data-resumable-from bytes: the
   file goes in pieces of data-chunk bytes; after a dropped line or a closed laptop the upload asks
   the server where it stands (HEAD) and goes on from there, from this page or after a reload (the
   upload's address is kept in localStorage, keyed by the item and the file). Smaller files, and
   browsers without JavaScript, keep the plain form above. */
(function () {
  "use strict";

  function box(form) { return form.querySelector("[data-upload-progress]"); }

  function say(form, percent, message) {
    var b = box(form), bar = b.querySelector("progress");
    b.hidden = false;
    if (percent !== null) { bar.value = percent; bar.textContent = percent + "%"; }
    b.querySelector("[data-upload-text]").textContent = message;
  }

  function send(method, url, headers, body, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress) { xhr.upload.onprogress = onProgress; }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () { resolve(null); };
      xhr.send(body);
    });
  }

  function base64(text) {
    var bytes = new TextEncoder().encode(text), binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary);
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  async function upload(form, file) {
    var d = form.dataset, chunk = parseInt(d.chunk, 10) || 16777216;
    var key = "ecase-tus:" + d.resumable + ":" + file.name + ":" + file.size + ":" + file.lastModified;
    var base = {"Tus-Resumable": "1.0.0", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value};
    var url = localStorage.getItem(key), offset = null, pause = 1000, xhr;
    function headers(extra) { return Object.assign({}, base, extra || {}); }
    function sent(done) {
      var percent = Math.floor(done * 100 / file.size);
      say(form, percent, d.msgSending + " " + percent + "% (" + (done / 1048576).toFixed(1) + " / " + (file.size / 1048576).toFixed(1) + " MB)");
    }
    function refused(answer) {
      var link = answer.getResponseHeader("Ecase-Second-Factor");
      if (link) { window.location.assign(link); }
      localStorage.removeItem(key);
      say(form, 0, answer.responseText || d.msgFailed);
      form.querySelector("button[type=submit]").disabled = false;
    }
    if (url) {
      xhr = await send("HEAD", url, headers());
      if (xhr && xhr.status === 200 && xhr.getResponseHeader("Upload-Offset") !== null) {
        offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
        sent(offset);  // after a reload: the bar starts where the upload stands
      } else { url = null; }
    }
    if (!url) {
      xhr = await send("POST", d.resumable, headers({"Upload-Length": String(file.size), "Upload-Metadata": "filename " + base64(file.name)}));
      if (!xhr || xhr.status !== 201) { return xhr ? refused(xhr) : say(form, 0, d.msgFailed); }
      url = xhr.getResponseHeader("Location");
      localStorage.setItem(key, url);
      offset = 0;
    }
    while (offset < file.size) {
      var start = offset;
      xhr = await send("PATCH", url, headers({"Content-Type": "application/offset+octet-stream", "Upload-Offset": String(start)}),
        file.slice(start, Math.min(file.size, start + chunk)), function (e) { sent(start + e.loaded); });
      if (xhr && xhr.status === 204) { offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10); pause = 1000; continue; }
      if (xhr && [403, 404, 410, 412, 413, 415].indexOf(xhr.status) >= 0) { return refused(xhr); }
      // The line dropped (or the upload is busy or moved on): ask where it stands, then go on from there.
      say(form, null, d.msgResuming);
      await wait(pause);
      pause = Math.min(pause * 2, 30000);
      var head = await send("HEAD", url, headers());
      // The bar showed what the browser had sent; the server's offset is what counts (the bytes in
      // flight when the line dropped are gone), so the bar steps back to it before going on.
      if (head && head.status === 200) { offset = parseInt(head.getResponseHeader("Upload-Offset"), 10); sent(offset); }
      else if (head && head.status >= 400 && head.status !== 423) { return refused(head); }
    }
    localStorage.removeItem(key);
    say(form, 100, d.msgStoring);
    window.location.reload();
  }

  // Before htmx (capture phase on the document): a large file takes the resumable way instead of the form's.
  document.addEventListener("submit", function (event) {
    var form = event.target, input = form.querySelector && form.querySelector("input[type=file]");
    if (!form.dataset || !form.dataset.resumable || !input || !input.files.length) { return; }
    var file = input.files[0];
    if (file.size < (parseInt(form.dataset.resumableFrom, 10) || 0) || !window.Promise || !file.slice) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    form.querySelector("button[type=submit]").disabled = true;
    upload(form, file);
  }, true);
}());
