"""A scripted OpenAI-compatible server for fault injection: the engine client's retries, error
messages and request cache are tested against it. It is never the only engine test: the real one
is engine_vllm_test.py. Behaviour is set per test through POST /_control:

  {"faults": [...], "after": N, "fatal": {...}, "served": "organism", "tokens": [...], "key": "..."}

`faults` are spent one per /v1/completions request, in order: "500", "429", "401", "slow" (sleeps
past the client's timeout), "truncated" (half a JSON body), "bad-token" (an id past any vocabulary).
After `after` successful completions every request fails with HTTP 500 (`after` null: never).
GET /_control returns the counters."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state_lock = threading.Lock()
state = {}


def reset(settings):
    state.clear()
    state.update({
        "faults": list(settings.get("faults", [])),
        "after": settings.get("after"),
        "served": settings.get("served", "organism"),
        "tokens": settings.get("tokens", [5, 6, 7, 2]),
        "key": settings.get("key"),
        "tokenize": settings.get("tokenize"),
        "completions": 0,  # answered with 200
        "requests": 0,  # every /v1/completions request
        "auth_seen": [],
    })


reset({})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a "slow" answer, as it should

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):
        if self.path == "/_control":
            with state_lock:
                return self.reply(200, state)
        if self.path == "/v1/models":
            return self.reply(200, {"object": "list", "data": [
                {"id": state["served"], "object": "model", "owned_by": "mock", "root": "/models/organism",
                 "max_model_len": 512}]})
        if self.path == "/version":
            return self.reply(200, {"version": "0.0-mock"})
        self.reply(404, {"detail": "Not Found"})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_control":
            with state_lock:
                reset(body)
            return self.reply(200, {})
        if self.path == "/tokenize":
            if state["tokenize"] is None:
                return self.reply(404, {"detail": "Not Found"})
            return self.reply(200, {"tokens": state["tokenize"], "count": len(state["tokenize"])})
        if self.path != "/v1/completions":
            return self.reply(404, {"detail": "Not Found"})
        with state_lock:
            state["requests"] += 1
            state["auth_seen"].append(self.headers.get("Authorization"))
            fault = state["faults"].pop(0) if state["faults"] else None
            exhausted = state["after"] is not None and state["completions"] >= state["after"]
        if exhausted or fault == "500":
            return self.reply(500, {"error": {"message": "EngineCore died: KV cache exhausted", "code": 500}})
        if fault == "429":
            return self.reply(429, {"error": {"message": "too many requests"}})
        if fault == "401":
            return self.reply(401, {"error": {"message": "invalid API key"}})
        if fault == "slow":
            time.sleep(3)
        tokens = state["tokens"][: body.get("max_tokens", 16)]
        if fault == "bad-token":
            tokens = [10**9]
        answer = {"id": "cmpl-mock", "object": "text_completion", "model": state["served"], "choices": [
            {"index": 0, "text": "", "token_ids": tokens, "finish_reason": "stop", "stop_reason": None}]}
        if body.get("prompt_logprobs") is not None:
            # Every prompt token at log-prob -1: not what any real model computes.
            answer["choices"][0]["prompt_logprobs"] = [None] + [
                {str(token): {"logprob": -1.0, "rank": 1}} for token in body["prompt"][1:]]
        if fault == "truncated":
            raw = json.dumps(answer).encode()
            return self.reply(200, None, raw[: len(raw) // 2])
        with state_lock:
            state["completions"] += 1
        self.reply(200, answer)


def start():
    """Starts the server on a free loopback port in a daemon thread; returns its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"
