// Progressive enhancement only: every page works without this script.
// A "show password" toggle next to every password field of the portal's pages.
document.querySelectorAll("main input[type=password]").forEach(function (input) {
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

// «Отправить ещё раз?»: count the policy's cooldown down and enable the button at zero.
document.querySelectorAll("form.resend[data-resend-in]").forEach(function (form) {
  var left = parseInt(form.getAttribute("data-resend-in"), 10) || 0;
  var button = form.querySelector(".resend__button");
  var wait = form.querySelector(".resend__wait");
  if (!left) return;
  var timer = setInterval(function () {
    left -= 1;
    if (left <= 0) {
      clearInterval(timer);
      button.disabled = false;
      wait.textContent = "";
    } else {
      wait.querySelector(".resend__seconds").textContent = left;
    }
  }, 1000);
});

// «Обновить картинку» for django-simple-captcha: fetch a new challenge in place.
document.querySelectorAll("img.captcha").forEach(function (image) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "link-button captcha-refresh";
  button.textContent = "Обновить картинку";
  button.addEventListener("click", function () {
    fetch("/captcha/refresh/", { headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        image.src = data.image_url;
        var key = image.parentNode.querySelector("input[name$='_0']");
        if (key) key.value = data.key;
      });
  });
  image.insertAdjacentElement("afterend", button);
});
