/* Checks an IIN as it is typed (the same rule as cases/iin.py) and fills birth date and sex.
   Runs in the browser only: nothing about the person is asked of the server. */
(function () {
  "use strict";
  var W1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
  var CENTURY = {"1": [1800, "M"], "2": [1800, "F"], "3": [1900, "M"], "4": [1900, "F"], "5": [2000, "M"], "6": [2000, "F"]};

  function weighted(digits, weights) {
    var sum = 0;
    for (var i = 0; i < 11; i++) { sum += digits[i] * weights[i]; }
    return sum % 11;
  }

  function parse(iin) {
    if (!/^\d{12}$/.test(iin)) { return {error: "format"}; }
    var d = iin.split("").map(Number), s = weighted(d, W1);
    if (s === 10) { s = weighted(d, W2); }
    if (s === 10 || s !== d[11]) { return {error: "checksum"}; }
    var cs = CENTURY[iin[6]];
    if (!cs) { return {error: "century"}; }
    var year = cs[0] + Number(iin.slice(0, 2)), month = Number(iin.slice(2, 4)), day = Number(iin.slice(4, 6));
    var date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) { return {error: "date"}; }
    return {birth: year + "-" + iin.slice(2, 4) + "-" + iin.slice(4, 6), sex: cs[1]};
  }

  function attach(input) {
    var note = document.createElement("small");
    note.setAttribute("aria-live", "polite");
    note.className = "iin-note";
    input.parentNode.appendChild(note);
    input.addEventListener("input", function () {
      var value = input.value.trim();
      if (value.length < 12) { note.textContent = ""; input.removeAttribute("aria-invalid"); return; }
      var facts = parse(value), form = input.form;
      if (facts.error) {
        note.textContent = input.dataset["msg" + facts.error.charAt(0).toUpperCase() + facts.error.slice(1)] || input.dataset.msgChecksum;
        input.setAttribute("aria-invalid", "true");
        return;
      }
      input.removeAttribute("aria-invalid");
      note.textContent = input.dataset.msgOk + " " + facts.birth.split("-").reverse().join(".");
      // A valid IIN states both (cases/iin.py): it wins over whatever was typed before, so the server
      // never refuses a mismatch the user did not see.
      if (form.elements.birth_date) { form.elements.birth_date.value = facts.birth; }
      if (form.elements.sex) { form.elements.sex.value = facts.sex; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-iin]"), attach);
  });
}());
