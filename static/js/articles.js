/* The articles' list with a search box (cases/choosers.py ArticleFilterSelect): each article is an
   <optgroup> ("ст. 188 — Кража") of its parts ("ч. 2"). Typing keeps the parts whose number, part
   or title match; Enter or a click adds one, no Ctrl needed; the chosen ones are listed under the
   box with their full label. Without this script the plain multiple <select> still works. */
(function () {
  "use strict";
  // "188", "188 2", "188-2", "188 ч.2", "188 part 2", "188 2-бөлік": a number and perhaps a part.
  var CODE = /^(\d{1,3}(?:-\d)?)(?:\s*(?:-|ч\.?|part|бөлік|б\.)?\s*(\d{1,2})(?:\s*-?\s*бөлік)?)?$/i;

  var NUMBER = /\d+(?:-\d+)?/;

  // "ст. 188 — Кража" and "ч. 2" make "ст. 188 ч. 2 — Кража" (kk: "188-бап 2-бөлік — Ұрлық"):
  // the part goes before the heading's first " — " in every language's format.
  function fullLabel(o) {
    var heading = o.parentNode.label || "", cut = heading.indexOf(" — ");
    return cut < 0 ? o.textContent : heading.slice(0, cut) + " " + o.textContent + heading.slice(cut);
  }

  function fold(text) { return text.toLowerCase().replace(/ё/g, "е").replace(/\s+/g, " ").trim(); }

  function matcher(query) {
    var q = fold(query), code = CODE.exec(q);
    if (!q) { return function () { return true; }; }
    if (code) {
      var number = code[1], part = code[2];
      return function (o) {
        // The article's number from its heading ("ст. 108-1 — …", "108-1-бап — …"), the part from the option.
        var a = (NUMBER.exec(o.parentNode.label || "") || [""])[0], p = (/\d+/.exec(o.textContent) || [""])[0];
        if (part) { return a === number && p === part; }
        if (number.indexOf("-") > 0) {  // "188-2": part 2 of 188, or the article numbered 188-2
          var base = number.split("-");
          return a.indexOf(number) === 0 || (a === base[0] && p === base[1]);
        }
        return a.indexOf(number) === 0;
      };
    }
    var words = q.split(" ");
    return function (o) {
      var text = fold(fullLabel(o));
      return words.every(function (w) { return text.indexOf(w) >= 0; });
    };
  }

  function attach(select) {
    var box = document.createElement("input"), chosen = document.createElement("p");
    box.type = "search";
    box.id = select.id + "_filter";
    box.className = "article-filter";
    box.autocomplete = "off";
    box.placeholder = select.dataset.placeholder;
    box.setAttribute("aria-label", select.dataset.searchLabel);
    box.setAttribute("aria-controls", select.id);
    chosen.className = "article-chosen";
    chosen.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(chosen, select.nextSibling);

    function options() { return Array.prototype.slice.call(select.options); }

    function show() {
      chosen.textContent = select.dataset.chosenLabel + " ";
      var picked = options().filter(function (o) { return o.selected; });
      if (!picked.length) { chosen.appendChild(document.createTextNode(select.dataset.noneLabel)); }
      picked.forEach(function (o) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip";
        remove.textContent = fullLabel(o) + " ×";
        remove.addEventListener("click", function () { o.selected = false; changed(); box.focus(); });
        chosen.appendChild(remove);
      });
    }

    function changed() { select.dispatchEvent(new Event("change", {bubbles: true})); }

    function filter() {
      var match = matcher(box.value);
      options().forEach(function (o) { o.hidden = !match(o); });
      // A heading with none of its parts shown is hidden too.
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
      });
    }

    box.addEventListener("input", filter);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // choose the first article shown; never send the form from here
        event.preventDefault();
        var first = options().filter(function (o) { return !o.hidden; })[0];
        if (first && box.value.trim()) {
          first.selected = true;
          changed();
          box.value = "";
          filter();
        }
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
    // A click adds or removes one article; without this a click replaces the whole choice.
    select.addEventListener("mousedown", function (event) {
      if (event.target.tagName !== "OPTION") { return; }
      event.preventDefault();
      event.target.selected = !event.target.selected;
      select.focus();
      changed();
    });
    select.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-article-filter]"), attach);
  });
})();
