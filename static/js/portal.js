// Progressive enhancement only: every page works without this script.
// A "show password" toggle next to each password field that asks for one.
document.querySelectorAll("input[data-password-toggle]").forEach(function (input) {
  var wrap = document.createElement("span");
  wrap.className = "password-wrap";
  input.parentNode.insertBefore(wrap, input);
  wrap.appendChild(input);
  var button = document.createElement("button");
  button.type = "button";
  button.className = "password-toggle";
  button.setAttribute("aria-controls", input.id);
  button.setAttribute("aria-pressed", "false");
  button.textContent = "Показать";
  button.addEventListener("click", function () {
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", String(show));
    button.textContent = show ? "Скрыть" : "Показать";
  });
  wrap.appendChild(button);
});
