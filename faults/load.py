"""The bounded load of the fault run: a few signed-in people (Python threads), each reading
their overview and now and then paying through the sandbox, as tests/e2e/test_payments.py's
browser does; every request's start, end and answer kept for counting.
"""

import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

PASSWORD = "demo-consumer-2026"
# The demo consumers (README, «The demo»): one person a thread, two accounts each.
CONSUMERS = {"gaz": "consumer@gaz.example", "mygaz": "consumer@mygaz.example", "mef": "consumer@mef.example",
             "rgmek": "6229001125-1001"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAY_LINK = re.compile(r'href="/personal/(\d+)/(?:pay|payments)/"')  # «Оплатить» or «Мои платежи»


@dataclass
class Request:
    start: float
    end: float
    status: int  # 0: no answer (connection refused, timeout)
    what: str


class Person(threading.Thread):
    """One signed-in person. Cookies are kept by hand: production cookies are Secure, and the
    run speaks plain HTTP to gunicorn (as a TLS proxy in front of it would)."""

    def __init__(self, run, slug, *, pay_every):
        super().__init__(daemon=True, name=f"person-{slug}")
        self.run_, self.slug, self.login = run, slug, CONSUMERS[slug]
        self.host = f"{slug}.localhost:{run.port}"
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{run.port}", timeout=30.0)
        self.cookies = {}
        self.pay_every = pay_every
        self.accounts = []
        self.requests = []
        self.payments = []  # public ids of the payments this person sent to the sandbox

    # HTTP.

    def call(self, method, path, what, data=None, record=True):
        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method == "POST":
            headers["Origin"] = headers["Referer"] = f"http://{self.host}"
        start = time.monotonic()
        try:
            response = self.http.request(method, path, headers=headers, data=data)
        except httpx.HTTPError:
            response = None
        end = time.monotonic()
        self.http.cookies.clear()
        if response is not None:
            for header in response.headers.get_list("set-cookie"):
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if record:
            self.requests.append(Request(start, end, response.status_code if response is not None else 0, what))
        return response

    def form(self, path, what, fields):
        page = self.call("GET", path, what)
        if page is None or page.status_code != 200:
            return None
        token = CSRF.search(page.text)
        return self.call("POST", path, what, data={**fields, "csrfmiddlewaretoken": token.group(1) if token else ""})

    # What a person does.

    def sign_in(self):
        answer = self.form("/accounts/login/", "login", {"login": self.login, "password": PASSWORD})
        if answer is None or answer.status_code != 302:
            raise RuntimeError(f"{self.slug}: login answered {answer and answer.status_code}")
        overview = self.call("GET", "/overview/", "overview")
        self.accounts = sorted(set(PAY_LINK.findall(overview.text)))
        if overview.status_code != 200 or not self.accounts:
            raise RuntimeError(f"{self.slug}: no overview with accounts to pay ({overview.status_code})")

    def pay(self):
        """Pay a small amount: the pay form, the confirmation, the sandbox's «Оплатить», then the
        return page's status, asked every 2 s (its script asks every 3 s) until it is final."""
        amount = f"{random.randint(100, 999)}.{random.randint(0, 99):02d}"
        sandbox_path = self.payment_start(amount)
        status_path = sandbox_path and self.sandbox_pay(sandbox_path)
        if status_path:
            self.payment_wait(status_path, 60)

    def payment_start(self, amount):
        """A payment of ``amount`` sent to the sandbox; the path of the sandbox's page (None if
        a step failed or was refused: the rate limit, a 5xx)."""
        account = random.choice(self.accounts)
        answer = self.form(f"/personal/{account}/pay/", "pay",
                           {"kind": "amount", "amount": amount, "token": str(uuid.uuid4())})
        if answer is None or answer.status_code != 302 or "/confirm/" not in answer.headers["location"]:
            return None
        confirm = answer.headers["location"]
        answer = self.form(confirm, "confirm", {})
        if answer is None or answer.status_code != 302 or "/sandbox-pay/" not in answer.headers["location"]:
            return None
        self.payments.append(confirm.rstrip("/").split("/")[-2])
        return urlsplit(answer.headers["location"]).path

    def sandbox_pay(self, sandbox_path):
        """«Оплатить» on the sandbox's page; the path of the portal's return page."""
        answer = self.form(sandbox_path, "sandbox", {"outcome": "success"})
        if answer is None or answer.status_code != 302:
            return None
        return urlsplit(answer.headers["location"]).path

    def payment_wait(self, status_path, seconds):
        """Ask the return page for the status until it is final; the status last seen."""
        deadline, status = time.monotonic() + seconds, None
        while time.monotonic() < deadline and not self.run_.stopping.is_set():
            answer = self.call("GET", status_path + "?format=json", "status")
            if answer is not None and answer.status_code == 200:
                status = answer.json()["status"]
                if status != "pending":
                    break
            time.sleep(2)
        return status

    def run(self):
        last_payment = time.monotonic() - random.uniform(0, self.pay_every)
        while not self.run_.stopping.is_set():
            self.call("GET", "/overview/", "overview")
            if time.monotonic() - last_payment >= self.pay_every:
                last_payment = time.monotonic()
                self.pay()
            time.sleep(random.uniform(0.2, 0.6))


class Load:
    def __init__(self, port, *, pay_every=15.0):
        self.port = port
        self.stopping = threading.Event()
        self.people = [Person(self, slug, pay_every=pay_every) for slug in CONSUMERS]
        self.extra = []  # people the run drives itself (the payment a killed worker was applying)

    def start(self):
        for person in self.people:
            person.sign_in()
        for person in self.people:
            person.start()

    def stop(self):
        self.stopping.set()
        for person in self.people:
            person.join(90)

    def requests(self):
        return [request for person in self.people + self.extra for request in list(person.requests)]

    def payments(self):
        return [public_id for person in self.people for public_id in person.payments]
