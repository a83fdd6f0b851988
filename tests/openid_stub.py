"""A small OpenID Connect provider for the Space test: what Gradio's "Sign in with Hugging Face" flow
(authlib's authorization-code flow) calls on huggingface.co, answered locally for one visitor.

- GET  /.well-known/openid-configuration   endpoints, issuer, HS256 as the id_token algorithm
- GET  /oauth/authorize                    no login page: redirects straight back with a one-time code
- POST /oauth/token                        code -> the visitor's access token and a signed id_token
                                           (preferred_username etc., the nonce from /authorize)
- GET  /oauth/jwks                         the symmetric key that signs the id_token

Client id and secret must match (HTTP Basic, authlib's default); a code works once.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey

CLIENT_ID, CLIENT_SECRET = "space-client-id", "space-client-secret"
SCOPES = "openid profile write-repos manage-repos"


class OpenIDStub:
    def __init__(self, username: str, access_token: str) -> None:
        self.username, self.access_token = username, access_token
        self.key = OctKey.import_key(secrets.token_bytes(32), {"kid": "stub", "alg": "HS256", "use": "sig"})
        self.codes: dict[str, dict] = {}
        self.tokens_issued = 0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> OpenIDStub:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "sub": f"id-{self.username}", "aud": CLIENT_ID, "iat": now, "exp": now + 3600,
                  "preferred_username": self.username, "name": self.username.title(),
                  "profile": f"https://huggingface.co/{self.username}", "picture": "", "website": ""}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "HS256", "kid": "stub"}, claims, self.key)


class _Handler(BaseHTTPRequestHandler):
    stub: OpenIDStub

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        base = self.stub.url
        if split.path == "/.well-known/openid-configuration":
            return self._json(200, {"issuer": base, "authorization_endpoint": f"{base}/oauth/authorize",
                                    "token_endpoint": f"{base}/oauth/token", "jwks_uri": f"{base}/oauth/jwks",
                                    "userinfo_endpoint": f"{base}/oauth/userinfo", "response_types_supported": ["code"],
                                    "id_token_signing_alg_values_supported": ["HS256"],
                                    "scopes_supported": SCOPES.split()})
        if split.path == "/oauth/jwks":
            return self._json(200, {"keys": [self.stub.key.as_dict(private=True)]})
        if split.path == "/oauth/authorize":
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                return self._json(400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(16)
            with self.stub.lock:
                self.stub.codes[code] = {"nonce": query.get("nonce"), "scope": query.get("scope", ""),
                                         "redirect_uri": query.get("redirect_uri")}
            target = f"{query['redirect_uri']}{'&' if '?' in query['redirect_uri'] else '?'}" + urlencode(
                {"code": code, "state": query.get("state", "")})
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/oauth/token":
            return self._json(404, {"error": "not_found"})
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()).items()}
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        client_ok = self.headers.get("Authorization") == expected or (
            form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET)
        if not client_ok:
            return self._json(401, {"error": "invalid_client"})
        with self.stub.lock:
            grant = self.stub.codes.pop(form.get("code", ""), None)
            if grant is not None:
                self.stub.tokens_issued += 1
        if grant is None or form.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "invalid_grant"})
        return self._json(200, {"access_token": self.stub.access_token, "token_type": "bearer", "expires_in": 3600,
                                "scope": grant["scope"], "id_token": self.stub.id_token(grant["nonce"])})

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
