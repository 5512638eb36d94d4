// extriage case dashboard: submit the filter form as soon as a box changes (the page works without it).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () { form.submit(); });
  });
});
