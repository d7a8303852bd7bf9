/* Progressive enhancement for long facets: a type-to-filter box inside the facet, and
   the filter panel opened on wide screens. The page works without this file: "meer
   tonen" and "Filters (n)" are native <details> elements. */
(function () {
  "use strict";
  function setUp(input) {
    var section = input.closest(".facet");
    var details = section.querySelector("details.meer");
    var items = section.querySelectorAll("li[data-waarde]");
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.appendChild(status);
    input.closest(".facetfilter").hidden = false;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (li) {
        var match = !needle || li.getAttribute("data-waarde").indexOf(needle) !== -1;
        li.hidden = !match;
        if (match) { shown += 1; }
      });
      if (details && needle) { details.open = true; }
      status.textContent = needle ? shown + (shown === 1 ? " waarde" : " waarden") : "";
    });
  }
  // The filters' <details>: open on wide screens (style.css shows its content there even
  // without this file), folded into "Filters (n)" on small ones.
  function fitFilters() {
    var panel = document.querySelector("details.filterpaneel");
    if (!panel) { return; }
    var wide = window.matchMedia("(min-width: 761px)");
    var apply = function () { if (wide.matches) { panel.open = true; } };
    apply();
    wide.addEventListener("change", apply);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".facetfilter input[data-facet]").forEach(setUp);
    fitFilters();
  });
})();
