"""A local fake of YooKassa's API v3: a real HTTP server on 127.0.0.1, so the adapter is
tested through httpx, sockets, timeouts and all, as it talks to YooKassa.

It keeps YooKassa's rules where the adapter depends on them: Basic auth per shop, the
Idempotence-Key (the same key and body give the first answer again, another body is an
error), amounts as strings with two decimals, refunds only of what was paid, and the
shape of payment, refund and error objects. Test knobs: ``succeed``, ``cancel``,
``fail_next`` (an answer whose result is unknown), ``delay_next`` (a timeout) and
``requests`` (what it was sent)::

    with FakeYooKassa({"shop-1": "secret"}) as fake:
        settings.YOOKASSA_API_URL = fake.url
"""

import base64
import hashlib
import json
import re
import threading
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AMOUNT_RE = re.compile(r"\d{1,15}\.\d{2}")
ERROR_CODES = {400: "invalid_request", 401: "invalid_credentials", 403: "forbidden", 404: "not_found",
               429: "too_many_requests", 500: "internal_server_error"}


class Refused(Exception):
    def __init__(self, status, description, parameter=None):
        super().__init__(description)
        self.status, self.description, self.parameter = status, description, parameter


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kopecks(amount, parameter):
    """Kopecks from an amount object, refused as YooKassa refuses a malformed one."""
    if not isinstance(amount, dict) or amount.get("currency") != "RUB":
        raise Refused(400, "Amount must be an object with currency RUB", parameter)
    value = amount.get("value")
    if not isinstance(value, str) or not AMOUNT_RE.fullmatch(value) or Decimal(value) <= 0:
        raise Refused(400, "Amount value must be a positive number with two decimals", f"{parameter}.value")
    return int(Decimal(value) * 100)


def _money(kopecks):
    return {"value": f"{kopecks // 100}.{kopecks % 100:02d}", "currency": "RUB"}


class FakeYooKassa:
    def __init__(self, shops=None):
        self.shops = dict(shops or {"test-shop": "test-secret"})  # shop_id → secret key
        self.payments = {}  # id → YooKassa's payment object (with "_shop" and "_kopecks")
        self.requests = []  # {"method", "path", "headers", "json"} in the order received
        self._answers = {}  # (shop, path, key) → (body's sha256, status, answer)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._fail = None  # fail_next's arguments, for the next request
        self._delay = 0.0

    # Lifecycle ------------------------------------------------------------------------

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._server.handle_error = lambda request, address: None  # a client gone after a timeout
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.base}/v3"
        return self

    def stop(self):
        self._stopping.set()  # a delayed answer stops waiting
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # Test knobs -----------------------------------------------------------------------

    def fail_next(self, status=500, processed=True, body=None):
        """The next request is answered ``status`` once (with ``body``, bytes, if given);
        ``processed``: it took effect all the same (a payment created, a refund made), as
        after YooKassa's 5xx or 202."""
        self._fail = (status, processed, body)

    def delay_next(self, seconds):
        """The next request is answered after ``seconds`` (a client timing out)."""
        self._delay = seconds

    def succeed(self, payment_id):
        self._finish(payment_id, "succeeded", paid=True, refundable=True, captured_at=_now())

    def cancel(self, payment_id, reason="insufficient_funds", party="payment_network"):
        self._finish(payment_id, "canceled", cancellation_details={"party": party, "reason": reason})

    def _finish(self, payment_id, status, **fields):
        with self._lock:
            payment = self.payments[payment_id]
            assert payment["status"] == "pending", f"payment {payment_id} is already {payment['status']}"
            payment.pop("confirmation", None)
            payment.update(status=status, **fields)

    def public(self, payment):
        return {key: value for key, value in payment.items() if not key.startswith("_")}

    # The API --------------------------------------------------------------------------

    def answer(self, method, path, headers, body):
        """(status, JSON answer) for one request."""
        with self._lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "json": body})
            (delay, self._delay), (fail, self._fail) = (self._delay, 0.0), (self._fail, None)
        if delay:
            self._stopping.wait(delay)
        if fail and not fail[1]:
            return self._failure(*fail)
        try:
            status, answer = self._route(method, path, headers, body)
        except Refused as refused:
            status, answer = refused.status, self._error(refused.status, refused.description, refused.parameter)
        return self._failure(*fail) if fail else (status, answer)

    def _failure(self, status, processed, body):
        if body is not None:
            return status, body
        if status == 202:
            return 202, {"type": "processing", "id": str(uuid.uuid4()), "retry_after": 1800,
                         "description": "Request accepted, but not processed yet. Try again later"}
        return status, self._error(status, "Internal server error" if status >= 500 else "Request refused")

    def _error(self, status, description, parameter=None):
        error = {"type": "error", "id": str(uuid.uuid4()), "code": ERROR_CODES.get(status, "error"),
                 "description": description}
        return {**error, "parameter": parameter} if parameter else error

    def _route(self, method, path, headers, body):
        shop = self._shop(headers.get("Authorization", ""))
        if method == "GET" and (match := re.fullmatch(r"/v3/payments/([^/]+)", path)):
            payment = self.payments.get(match[1])
            if not payment or payment["_shop"] != shop:
                raise Refused(404, "Payment doesn't exist or access denied")
            return 200, self.public(payment)
        if method == "POST" and path in ("/v3/payments", "/v3/refunds"):
            key = headers.get("Idempotence-Key", "")
            if not key or len(key) > 64:
                raise Refused(400, "Idempotence key isn't specified or is longer than 64 characters",
                              "Idempotence-Key")
            if not isinstance(body, dict):
                raise Refused(400, "Request body must be a JSON object")
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            with self._lock:
                if (shop, path, key) in self._answers:
                    first_digest, status, answer = self._answers[shop, path, key]
                    if first_digest != digest:
                        raise Refused(400, "Idempotence key duplicated with another request", "Idempotence-Key")
                    return status, answer
                create = self._create if path == "/v3/payments" else self._refund
                self._answers[shop, path, key] = (digest, 200, answer := create(shop, body))
                return 200, answer
        raise Refused(404, "Unknown method")

    def _shop(self, authorization):
        scheme, _, credentials = authorization.partition(" ")
        try:
            shop, _, secret = base64.b64decode(credentials, validate=True).decode().partition(":")
        except ValueError:
            shop = secret = None
        if scheme != "Basic" or not shop or self.shops.get(shop) != secret:
            raise Refused(401, "Authentication by given credentials failed")
        return shop

    def _create(self, shop, body):
        kopecks = _kopecks(body.get("amount"), "amount")
        confirmation = body.get("confirmation")
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect" \
                or not confirmation.get("return_url"):
            raise Refused(400, "Confirmation must be of type redirect with a return_url", "confirmation")
        if len(body.get("description", "")) > 128:
            raise Refused(400, "Description is longer than 128 characters", "description")
        metadata = body.get("metadata", {})
        if not isinstance(metadata, dict) or not all(isinstance(value, str) for value in metadata.values()):
            raise Refused(400, "Metadata values must be strings", "metadata")
        payment_id = str(uuid.uuid4())
        self.payments[payment_id] = {
            "id": payment_id, "status": "pending", "paid": False, "amount": _money(kopecks),
            "confirmation": {"type": "redirect", "return_url": confirmation["return_url"],
                             "confirmation_url": f"{self.base}/checkout/{payment_id}"},
            "created_at": _now(), "description": body.get("description", ""), "metadata": metadata,
            "recipient": {"account_id": shop, "gateway_id": "100500"}, "refundable": False, "test": True,
            "_shop": shop, "_kopecks": kopecks,
        }
        return self.public(self.payments[payment_id])

    def _refund(self, shop, body):
        payment = self.payments.get(body.get("payment_id"))
        if not payment or payment["_shop"] != shop:
            raise Refused(400, "Payment doesn't exist or access denied", "payment_id")
        kopecks = _kopecks(body.get("amount"), "amount")
        if payment["status"] != "succeeded":
            raise Refused(400, "Only a succeeded payment can be refunded", "payment_id")
        refunded = payment.get("_refunded", 0)
        if refunded + kopecks > payment["_kopecks"]:
            raise Refused(400, "Refund amount exceeds the payment's remaining amount", "amount")
        payment["_refunded"] = refunded + kopecks
        payment["refunded_amount"] = _money(refunded + kopecks)
        return {"id": str(uuid.uuid4()), "payment_id": payment["id"], "status": "succeeded",
                "amount": _money(kopecks), "created_at": _now()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None  # refused below, as a body that is not an object
        headers = {name.title(): value for name, value in self.headers.items()}
        status, answer = self.server.fake.answer(self.command, self.path, headers, body)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, format, *args):
        """Quiet: tests read ``FakeYooKassa.requests``, not a server log."""
