// A chosen response template fills its form's text box, ready to edit (without JS the server uses it as is).
document.querySelectorAll(".template-picker").forEach(function (select) {
  "use strict";
  select.addEventListener("change", function () {
    var text = select.form.querySelector("textarea");
    var option = select.selectedOptions[0];
    if (text && option && option.dataset.text) text.value = option.dataset.text;
  });
});
