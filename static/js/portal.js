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
        var audio = image.parentNode.querySelector("a.captcha-audio");
        if (audio && data.audio_url) audio.href = data.audio_url;
        var key = image.parentNode.querySelector("input[name$='_0']");
        if (key) key.value = data.key;
      });
  });
  image.insertAdjacentElement("afterend", button);
});

// After a refused submit: the focus goes to the error summary, so that a screen reader reads
// what went wrong and a keyboard user starts there; its links move the focus to the field.
document.querySelectorAll("[data-error-summary]").forEach(function (summary, index) {
  if (index === 0) summary.focus();
  summary.querySelectorAll("a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      field.focus();
    });
  });
});

// «Скопировать»: a button beside text shown once and to be kept (the generated login).
document.querySelectorAll("[data-copy]").forEach(function (source) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button button--secondary copy-button";
  button.textContent = source.getAttribute("data-copy-label") || "Скопировать";
  var said = document.createElement("span");
  said.className = "copy-status";
  said.setAttribute("aria-live", "polite");
  function done(ok) {
    said.textContent = ok ? "Скопировано" : "Не удалось скопировать: выделите и скопируйте вручную";
  }
  button.addEventListener("click", function () {
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
    done(ok);
  });
  source.insertAdjacentElement("afterend", said);
  source.insertAdjacentElement("afterend", button);
});

// «Проверяем оплату…»: ask the server every few seconds and reload once the status is known
// (instead of a <meta refresh>, which restarts a screen reader every time).
document.querySelectorAll("[data-payment-poll]").forEach(function (region) {
  var url = region.getAttribute("data-payment-poll");
  var seconds = parseInt(region.getAttribute("data-poll-seconds"), 10) || 3;
  var timer = setInterval(function () {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.status !== "pending" && answer.status !== "created") {
          clearInterval(timer);
          window.location.reload();
        }
      })
      .catch(function () {});  // the network will be back; keep asking
  }, seconds * 1000);
});

// «Квитанция формируется…»: likewise, reload once the receipt is ready (the page then starts the download).
document.querySelectorAll("[data-receipt-poll]").forEach(function (region) {
  var url = region.getAttribute("data-receipt-poll");
  var seconds = parseInt(region.getAttribute("data-poll-seconds"), 10) || 2;
  var timer = setInterval(function () {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.ready) {
          clearInterval(timer);
          window.location.reload();
        }
      })
      .catch(function () {});  // the network will be back; keep asking
  }, seconds * 1000);
});

// The pay form: typing an amount chooses «Другую сумму».
document.querySelectorAll("form [data-amount-field]").forEach(function (input) {
  var other = input.form.querySelector("input[name=kind][value=amount]");
  if (!other) return;
  input.addEventListener("input", function () { other.checked = true; });
});

// The menu: folded behind «Меню» on a phone (a <details>, which works without this script),
// open in one row on a wide screen.
document.querySelectorAll("[data-menu]").forEach(function (fold) {
  var wide = window.matchMedia("(min-width: 48rem)");
  function apply() {
    fold.classList.toggle("main-nav__fold--wide", wide.matches);
    fold.open = wide.matches;
  }
  apply();
  wide.addEventListener("change", apply);
});

// The header's account switch: the choice applies on selection; its button stays for a
// keyboard (shown on focus) and for a browser without this script.
document.querySelectorAll("[data-switch]").forEach(function (form) {
  form.classList.add("account-switch--auto");
  var select = form.querySelector("select");
  var chosen = select.value;
  select.addEventListener("change", function () {
    if (select.value !== chosen) form.submit();
  });
});
