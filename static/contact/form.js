// Shows the refund and consent fields only for the request type they belong to.
// Without JavaScript every field stays visible and the server ignores the others.
(function () {
  "use strict";
  var select = document.getElementById("request_type");
  if (!select) return;
  var groups = document.querySelectorAll(".type-fields");
  function update() {
    for (var i = 0; i < groups.length; i++) {
      var shown = groups[i].getAttribute("data-for") === select.value;
      groups[i].hidden = !shown;
    }
  }
  select.addEventListener("change", update);
  update();
})();
