// The credit file's evidence: a chip opens its record in the row right under the clause that
// cites it, and a second click (or the card's close button) closes it again. Without scripts
// the chip is a plain link to the record's own page.
(function () {
  "use strict";

  function chipsOf(row) {
    var clause = row.dataset.clause;
    return Array.prototype.filter.call(
      document.querySelectorAll("a.evidence[data-clause]"),
      function (chip) { return chip.dataset.clause === clause; });
  }

  function close(row) {
    row.hidden = true;
    row.firstElementChild.innerHTML = "";
    delete row.dataset.open;
    chipsOf(row).forEach(function (chip) { chip.setAttribute("aria-expanded", "false"); });
  }

  function open(row, chip) {
    var cell = row.firstElementChild;
    chipsOf(row).forEach(function (other) { other.setAttribute("aria-expanded", "false"); });
    fetch(chip.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      })
      .then(function (answer) {
        if (answer.ok) {
          cell.innerHTML = answer.text;
        } else {
          cell.textContent = row.dataset.error || "";
        }
        row.hidden = false;
        row.dataset.open = chip.href;
        chip.setAttribute("aria-expanded", "true");
      })
      .catch(function () {
        cell.textContent = row.dataset.error || "";
        row.hidden = false;
      });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var closer = target.closest(".evidence-row .evidence-close");
    if (closer) {
      close(closer.closest(".evidence-row"));
      return;
    }
    var chip = target.closest("a.evidence[data-clause]");
    if (!chip || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var row = document.getElementById("evidence-" + chip.dataset.clause);
    if (!row) { return; }
    event.preventDefault();
    if (!row.hidden && row.dataset.open === chip.href) {
      close(row);  // the same chip again: toggle closed
    } else {
      open(row, chip);
    }
  });
})();
