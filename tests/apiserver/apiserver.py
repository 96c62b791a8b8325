#!/usr/bin/env python3
"""A test Kubernetes API server for gatewarden's tests (Python 3 standard library only).

It speaks the real wire format over HTTPS on loopback, enough for gatewarden's kube
client and for `kubectl --kubeconfig` (get, apply, delete):

  * discovery: /version, /api, /api/v1, /apis, /apis/G/V (openapi answers 404)
  * list with resourceVersion and paging (limit / continue, a consistent snapshot per
    paged list; a continue token older than the compaction point answers 410)
  * watch (?watch=1&resourceVersion=N&allowWatchBookmarks=true&timeoutSeconds=T):
    chunked stream of JSON lines, BOOKMARK events, 410 Gone when N is older than
    the kept history (as an HTTP status, or in-stream when a fault asks for it)
  * create / update / patch (JSON Patch, merge patch, strategic merge treated as a
    merge patch) / delete, with 409 AlreadyExists / Conflict on resourceVersion
    preconditions; status subresources
  * bearer-token auth (several tokens may be valid at once, for rotation tests) and
    client certificates signed by the server's CA
  * admission: Mutating then Validating webhook configurations stored in it are
    matched (rules, namespaceSelector, objectSelector) and called over TLS with the
    caBundle, SNI <svc>.<ns>.svc, timeoutSeconds and failurePolicy, applying the
    returned JSON Patch, before the object is stored
  * faults, scripted by CLI flags (--fault JSON) or POST /_control:
        {"faults": [{"verb": "watch"|"list"|"get"|"create"|"update"|"patch"|"delete"|"*",
                     "resource": "httproutes"|"*", "action": "429"|"500"|"410"|"409"|"drop"
                     |"gone-in-stream"|"drop-after"|"hang"|"stall", "count": N, "retryAfter": S,
                     "after": K, "seconds": S}],
         "compact": true, "tokens": ["..."], "bookmarkInterval": S}
    "stall" (watch) sends the watch's first events, then nothing at all (no event, no
    bookmark) while keeping the connection open, as a dead peer would look;
    "409" answers a write as if another writer had changed the object first;
    "drop" closes the connection without an answer; "hang" never answers (until the
    client goes away, or "seconds", default 600, pass); "drop-after" (watch) closes it
    after K events; "gone-in-stream" (watch) sends an ERROR event with code 410.
    GET /_control/stats answers counters (lists, watches, faults delivered, events).

Start: apiserver.py --dir D  writes D/ca.crt, D/server.crt, D/client.crt, D/kubeconfig,
D/token, and D/port once it listens (port 0 = any free port).
"""
import argparse
import base64
import copy
import http.client
import http.server
import json
import os
import secrets
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

# group, version, plural, kind, namespaced
RESOURCES = [
    ("", "v1", "namespaces", "Namespace", False),
    ("", "v1", "services", "Service", True),
    ("", "v1", "secrets", "Secret", True),
    ("", "v1", "events", "Event", True),
    ("", "v1", "configmaps", "ConfigMap", True),
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    ("gateway.networking.k8s.io", "v1", "gateways", "Gateway", True),
    ("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", True),
    ("gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute", True),
    ("gateway.networking.k8s.io", "v1", "gatewayclasses", "GatewayClass", False),
    ("gateway.networking.k8s.io", "v1beta1", "referencegrants", "ReferenceGrant", True),
    ("gateway.networking.k8s.io", "v1alpha2", "tcproutes", "TCPRoute", True),
    ("gateway.networking.k8s.io", "v1alpha2", "udproutes", "UDPRoute", True),
    ("coordination.k8s.io", "v1", "leases", "Lease", True),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
     "ValidatingWebhookConfiguration", False),
    ("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
     "MutatingWebhookConfiguration", False),
]
BY_PLURAL = {r[2]: r for r in RESOURCES}
SHORT = {"namespaces": ["ns"], "services": ["svc"], "events": ["ev"], "configmaps": ["cm"],
         "gateways": ["gtw"], "gatewayclasses": ["gc"], "referencegrants": ["refgrant"]}
NO_ADMISSION = {"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
                "events", "leases"}


def api_version(res):
    return res[1] if res[0] == "" else res[0] + "/" + res[1]


def status_body(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


class ApiError(Exception):
    def __init__(self, code, reason, message, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.headers = headers or {}


class DropConnection(Exception):
    pass


# ---------------------------------------------------------------- JSON patches

def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if k.startswith("$"):
            continue  # strategic merge directives: treated as a merge patch
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _ptr(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError("JSON pointer %r does not start with /" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    for p in parts:
        if isinstance(doc, list):
            doc = doc[int(p)]
        elif isinstance(doc, dict):
            doc = doc[p]
        else:
            raise ValueError("path through a scalar")
    return doc


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise ValueError("a JSON Patch is an array")
    for op in ops:
        kind, parts = op.get("op"), _ptr(op.get("path", ""))
        if kind in ("add", "replace", "test"):
            if "value" not in op:
                raise ValueError("%s without value" % kind)
        if kind == "test":
            if _walk(doc, parts) != op["value"]:
                raise ValueError("test failed at %s" % op["path"])
            continue
        if kind in ("move", "copy"):
            val = copy.deepcopy(_walk(doc, _ptr(op["from"])))
            if kind == "move":
                doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
            doc = json_patch(doc, [{"op": "add", "path": op["path"], "value": val}])
            continue
        if not parts:
            if kind == "remove":
                raise ValueError("cannot remove the root")
            doc = copy.deepcopy(op["value"])
            continue
        parent, last = _walk(doc, parts[:-1]), parts[-1]
        if isinstance(parent, list):
            if kind == "add":
                idx = len(parent) if last == "-" else int(last)
                if idx < 0 or idx > len(parent):
                    raise ValueError("index out of range")
                parent.insert(idx, copy.deepcopy(op["value"]))
            else:
                idx = int(last)
                if idx < 0 or idx >= len(parent):
                    raise ValueError("index out of range")
                if kind == "remove":
                    parent.pop(idx)
                elif kind == "replace":
                    parent[idx] = copy.deepcopy(op["value"])
                else:
                    raise ValueError("unknown op %r" % kind)
        elif isinstance(parent, dict):
            if kind == "add":
                parent[last] = copy.deepcopy(op["value"])
            elif kind in ("remove", "replace"):
                if last not in parent:
                    raise ValueError("%s of a missing member %s" % (kind, op["path"]))
                if kind == "remove":
                    del parent[last]
                else:
                    parent[last] = copy.deepcopy(op["value"])
            else:
                raise ValueError("unknown op %r" % kind)
        else:
            raise ValueError("path through a scalar")
    return doc


# ---------------------------------------------------------------- selectors

def labels_match(selector, labels):
    if selector is None:
        return True
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        k, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def parse_label_selector(text):
    sel = {"matchLabels": {}, "matchExpressions": []}
    for part in filter(None, (text or "").split(",")):
        if "!=" in part:
            k, v = part.split("!=", 1)
            sel["matchExpressions"].append({"key": k, "operator": "NotIn", "values": [v]})
        elif "=" in part:
            k, v = part.split("=", 1)
            sel["matchLabels"][k.rstrip("=")] = v.lstrip("=")
        elif part.startswith("!"):
            sel["matchExpressions"].append({"key": part[1:], "operator": "DoesNotExist"})
        else:
            sel["matchExpressions"].append({"key": part, "operator": "Exists"})
    return sel


def field_match(fsel, obj):
    for part in filter(None, (fsel or "").split(",")):
        neg = "!=" in part
        k, v = part.split("!=" if neg else "=", 1)
        v = v.lstrip("=")
        cur = obj
        for p in k.split("."):
            cur = cur.get(p) if isinstance(cur, dict) else None
        if (str(cur) if cur is not None else "") == v:
            if neg:
                return False
        elif not neg:
            return False
    return True


# ---------------------------------------------------------------- state

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Condition()
        self.rv = 1
        self.objs = {}          # (plural, ns, name) -> obj
        self.history = []       # (rv, plural, type, obj)
        self.compacted = 1      # watches from an RV below this get 410
        self.snapshots = {}     # continue id -> (rv, items)
        self.faults = []
        self.tokens = {args.token}
        self.bookmark_interval = args.bookmark_interval
        self.stats = {"lists": 0, "watches": 0, "requests": 0, "events_sent": 0,
                      "bookmarks_sent": 0, "faults": {}, "admission_calls": 0, "writes": {},
                      "writelog": []}
        self.service_map = {}
        for m in args.service_endpoint or []:
            k, v = m.split("=", 1)
            host, port = v.rsplit(":", 1)
            self.service_map[k] = (host, int(port))
        for f in args.fault or []:
            self.faults.extend(json.loads(f) if f.startswith("[") else [json.loads(f)])

    def take_fault(self, verb, plural):
        with self.lock:
            for f in self.faults:
                if f.get("count", 1) <= 0:
                    continue
                if f.get("verb", "*") not in ("*", verb):
                    continue
                if f.get("resource", "*") not in ("*", plural):
                    continue
                f["count"] = f.get("count", 1) - 1
                a = f["action"]
                self.stats["faults"][a] = self.stats["faults"].get(a, 0) + 1
                return dict(f)
        return None

    def record(self, plural, etype, obj):
        """Caller holds the lock; obj already carries the new RV."""
        self.history.append((int(obj["metadata"]["resourceVersion"]), plural, etype,
                             copy.deepcopy(obj)))
        if len(self.history) > self.args.history:
            drop = len(self.history) - self.args.history
            self.compacted = self.history[drop - 1][0] + 1
            del self.history[:drop]
        self.lock.notify_all()

    def compact(self):
        with self.lock:
            self.compacted = self.rv + 1
            self.history = []
            self.snapshots = {}
            self.lock.notify_all()

    def next_rv(self):
        self.rv += 1
        return str(self.rv)


# ---------------------------------------------------------------- the handler

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gatewarden-test-apiserver"

    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            sys.stderr.write("apiserver: " + (fmt % a) + "\n")

    # ---- plumbing
    def send_json(self, code, body, headers=None):
        w = getattr(self, "wlog", None)
        if w is not None:  # the answer to a logged write: its status joins the log
            w.setdefault("status", code)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def hang(self, seconds):
        """Hold the request unanswered until the client closes or seconds pass."""
        end = time.monotonic() + seconds
        self.connection.settimeout(0.5)
        while time.monotonic() < end:
            try:
                if not self.connection.recv(1):
                    return
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return

    def send_error_status(self, e):
        self.send_json(e.code, status_body(e.code, e.reason, e.message), e.headers)

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raw = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return raw
                raw += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def authorized(self):
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:].strip() in st.tokens:
            return True
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        return bool(cert)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        path = url.path.rstrip("/") or "/"
        body = self.read_body() if method in ("POST", "PUT", "PATCH", "DELETE") else b""
        self.wlog = None
        with st.lock:
            st.stats["requests"] += 1
        try:
            if path.startswith("/_control"):
                return self.control(method, path, body)
            if not self.authorized():
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if path == "/version":
                return self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-gatewarden-test",
                                            "platform": "linux/amd64"})
            if path.startswith("/openapi") or path.startswith("/swagger"):
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if path == "/api":
                return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                            "serverAddressByClientCIDRs": []})
            if path == "/apis":
                return self.send_json(200, self.group_list())
            parts = path.strip("/").split("/")
            if parts[0] == "api" and len(parts) == 2:
                return self.send_json(200, self.resource_list("", parts[1]))
            if parts[0] == "apis" and len(parts) == 3:
                return self.send_json(200, self.resource_list(parts[1], parts[2]))
            if parts[0] == "apis" and len(parts) == 2:
                g = [x for x in self.group_list()["groups"] if x["name"] == parts[1]]
                if not g:
                    raise ApiError(404, "NotFound", "no such group")
                return self.send_json(200, dict(g[0], kind="APIGroup", apiVersion="v1"))
            self.resource_request(method, parts, q, body)
        except ApiError as e:
            self.send_error_status(e)
        except DropConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    # ---- discovery
    def group_list(self):
        groups = {}
        for g, v, *_ in RESOURCES:
            if g:
                groups.setdefault(g, [])
                if v not in groups[g]:
                    groups[g].append(v)
        out = []
        for g, vs in groups.items():
            versions = [{"groupVersion": g + "/" + v, "version": v} for v in vs]
            out.append({"name": g, "versions": versions, "preferredVersion": versions[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": out}

    def resource_list(self, group, version):
        res = []
        for g, v, plural, kind, namespaced in RESOURCES:
            if g == group and v == version:
                verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
                res.append({"name": plural, "singularName": kind.lower(), "namespaced": namespaced,
                            "kind": kind, "verbs": verbs, "shortNames": SHORT.get(plural, [])})
                res.append({"name": plural + "/status", "singularName": "", "namespaced": namespaced,
                            "kind": kind, "verbs": ["get", "patch", "update"]})
        if not res:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": api_version((group, version)), "resources": res}

    # ---- control
    def control(self, method, path, body):
        st = self.server.state
        if method == "GET":
            with st.lock:
                out = json.loads(json.dumps(st.stats))
                out["resourceVersion"] = str(st.rv)
                out["compacted"] = st.compacted
                out["objects"] = len(st.objs)
            return self.send_json(200, out)
        req = json.loads(body or b"{}")
        with st.lock:
            st.faults.extend(req.get("faults", []))
            if "tokens" in req:
                st.tokens = set(req["tokens"])
            if "bookmarkInterval" in req:
                st.bookmark_interval = float(req["bookmarkInterval"])
            if req.get("clearFaults"):
                st.faults = []
        if req.get("compact"):
            st.compact()
        self.send_json(200, {"ok": True})

    # ---- resources
    def parse_resource_path(self, parts):
        # /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]
        # /apis/G/V[/namespaces/NS]/PLURAL[/NAME[/SUB]]
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] in BY_PLURAL:
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in BY_PLURAL:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = BY_PLURAL[rest[0]]
        if res[0] != group or res[1] != version:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if res[4] is False:
            ns = None
        elif name is not None and ns is None:
            raise ApiError(404, "NotFound", "namespaced resource without a namespace")
        return res, ns, name, sub

    def resource_request(self, method, parts, q, body):
        st = self.server.state
        res, ns, name, sub = self.parse_resource_path(parts)
        plural = res[2]
        if method == "GET" and name is None:
            verb = "watch" if q.get("watch") in ("1", "true") else "list"
        else:
            verb = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                    "DELETE": "delete"}[method]
        fault = st.take_fault(verb, plural)
        if fault is not None:
            a = fault["action"]
            if a == "drop":
                raise DropConnection()
            if a == "hang":
                self.hang(fault.get("seconds", 600))
                raise DropConnection()
            if a in ("429", "500", "503"):
                hdr = {}
                if a == "429" or "retryAfter" in fault:
                    hdr["Retry-After"] = str(fault.get("retryAfter", 1))
                raise ApiError(int(a), "TooManyRequests" if a == "429" else "InternalError",
                               "injected fault " + a, hdr)
            if a == "410" and verb in ("watch", "list"):
                raise ApiError(410, "Expired", "too old resource version: injected")
            if a == "409" and verb in ("create", "update", "patch"):
                raise ApiError(409, "Conflict", "the object has been modified; please apply your changes "
                               "to the latest version and try again: injected")
        if verb == "watch":
            return self.watch(res, ns, q, fault)
        if verb == "list":
            return self.list(res, ns, q)
        if verb == "get":
            with st.lock:  # encoded under the lock, sent after it (a client may not read)
                obj = st.objs.get((plural, ns or "", name))
                if obj is None:
                    raise ApiError(404, "NotFound", '%s "%s" not found' % (plural, name))
                data = json.dumps(obj).encode()
            return self.send_json(200, data)
        self.write(method, res, ns, name, sub, q, body)

    def list(self, res, ns, q):
        st = self.server.state
        plural = res[2]
        limit = int(q.get("limit") or 0)
        cont = q.get("continue")
        with st.lock:
            st.stats["lists"] += 1
            if cont:
                try:
                    tok = json.loads(base64.b64decode(cont))
                    snap = st.snapshots[tok["id"]]
                except (ValueError, KeyError, TypeError):
                    raise ApiError(410, "Expired", "The provided continue parameter is too old "
                                   "to display a consistent list result.")
                rv, items = snap
                if int(rv) < st.compacted:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old "
                                   "to display a consistent list result.")
                start, sid = tok["off"], tok["id"]
            else:
                rv = str(st.rv)
                lsel = parse_label_selector(q.get("labelSelector"))
                items = [copy.deepcopy(o) for (p, n, _), o in sorted(st.objs.items())
                         if p == plural and (ns is None or n == ns)
                         and field_match(q.get("fieldSelector"), o)
                         and labels_match(lsel, o.get("metadata", {}).get("labels"))]
                for o in items:
                    o.pop("apiVersion", None)
                    o.pop("kind", None)
                start, sid = 0, None
            end = len(items) if limit <= 0 else min(len(items), start + limit)
            meta = {"resourceVersion": rv}
            if end < len(items):
                if sid is None:
                    sid = uuid.uuid4().hex
                    st.snapshots[sid] = (rv, items)
                meta["continue"] = base64.b64encode(json.dumps({"id": sid, "off": end}).encode()).decode()
                meta["remainingItemCount"] = len(items) - end
            elif sid is not None:
                st.snapshots.pop(sid, None)
            page = items[start:end]
        self.send_json(200, {"kind": res[3] + "List", "apiVersion": api_version(res),
                             "metadata": meta, "items": page})

    def watch(self, res, ns, q, fault):
        st = self.server.state
        plural = res[2]
        rvq = q.get("resourceVersion") or "0"
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        timeout = float(q.get("timeoutSeconds") or 1800)
        fsel = q.get("fieldSelector")
        lsel = parse_label_selector(q.get("labelSelector"))
        try:
            since = int(rvq)
        except ValueError:
            raise ApiError(400, "BadRequest", "invalid resourceVersion %r" % rvq)
        in_stream_gone = fault is not None and fault["action"] == "gone-in-stream"
        drop_after = fault["after"] if fault is not None and fault["action"] == "drop-after" else None
        pending = []
        with st.lock:
            st.stats["watches"] += 1
            if since != 0 and since < st.compacted - 1 and not in_stream_gone:
                raise ApiError(410, "Expired", "too old resource version: %d (%d)" % (since, st.compacted - 1))
            if since == 0:
                # "any": the current state as ADDED events, then changes
                for (p, n, _), o in sorted(st.objs.items()):
                    if p == plural and (ns is None or n == ns):
                        pending.append(("ADDED", copy.deepcopy(o)))
                since = st.rv
            idx = 0
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        deadline = time.monotonic() + timeout
        last_bm = time.monotonic()

        def emit(ev):
            data = json.dumps(ev).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        if in_stream_gone:
            emit({"type": "ERROR", "object": status_body(410, "Expired", "too old resource version: injected")})
            self.wfile.write(b"0\r\n\r\n")
            return
        if fault is not None and fault["action"] == "stall":
            for etype, o in pending:
                emit({"type": etype, "object": o})
            self.hang(fault.get("seconds", 600))
            raise DropConnection()
        while True:
            with st.lock:
                # events after `since` that this watch has not sent
                if not pending:
                    if since < st.compacted - 1:
                        # history dropped under an open watch: the apiserver ends it with 410
                        pending.append(("ERROR", status_body(410, "Expired", "too old resource version")))
                    else:
                        h = st.history
                        lo, hi = 0, len(h)
                        while lo < hi:
                            mid = (lo + hi) // 2
                            if h[mid][0] <= since:
                                lo = mid + 1
                            else:
                                hi = mid
                        for ev_rv, p, etype, o in h[lo:]:
                            since = ev_rv
                            if p != plural or (ns is not None and o["metadata"].get("namespace") != ns):
                                continue
                            if not field_match(fsel, o) or not labels_match(lsel, o["metadata"].get("labels")):
                                continue
                            pending.append((etype, o))
                if not pending:
                    now = time.monotonic()
                    if now >= deadline:
                        break
                    wait = min(deadline - now, st.bookmark_interval - (now - last_bm)) if bookmarks else deadline - now
                    if wait > 0:
                        st.lock.wait(min(wait, 0.5))
            if pending:
                for etype, o in pending:
                    if drop_after is not None and sent >= drop_after:
                        raise DropConnection()
                    emit({"type": etype, "object": o})
                    sent += 1
                    with st.lock:
                        st.stats["events_sent"] += 1
                    if etype == "ERROR":
                        self.wfile.write(b"0\r\n\r\n")
                        return
                pending = []
            elif bookmarks and time.monotonic() - last_bm >= st.bookmark_interval:
                last_bm = time.monotonic()
                emit({"type": "BOOKMARK", "object": {"kind": res[3], "apiVersion": api_version(res),
                                                     "metadata": {"resourceVersion": str(since)}}})
                with st.lock:
                    st.stats["bookmarks_sent"] += 1
            if time.monotonic() >= deadline:
                break
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def write(self, method, res, ns, name, sub, q, body):
        st = self.server.state
        plural = res[2]
        dry = q.get("dryRun") == "All"
        if "protobuf" in (self.headers.get("Content-Type") or "") or "cbor" in (self.headers.get("Content-Type") or ""):
            raise ApiError(415, "UnsupportedMediaType", "only application/json bodies are accepted")
        try:
            payload = json.loads(body) if body else None
        except ValueError as e:
            raise ApiError(400, "BadRequest", "invalid JSON body: %s" % e)
        with st.lock:
            st.stats["writes"][method] = st.stats["writes"].get(method, 0) + 1
            self.wlog = {"method": method, "resource": plural, "name": name or "",
                         "ua": self.headers.get("User-Agent", ""), "t": time.time()}
            st.stats["writelog"].append(self.wlog)
            if method == "POST":
                if not isinstance(payload, dict):
                    raise ApiError(400, "BadRequest", "the body must be an object")
                meta = payload.setdefault("metadata", {})
                oname = meta.get("name")
                if not oname and meta.get("generateName"):
                    oname = meta["generateName"] + secrets.token_hex(3)
                    meta["name"] = oname
                if not oname:
                    raise ApiError(422, "Invalid", "metadata.name: Required value")
                key = (plural, ns or "", oname)
                if key in st.objs:
                    raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (plural, oname))
                old, new, op = None, payload, "CREATE"
            else:
                key = (plural, ns or "", name)
                old = st.objs.get(key)
                if old is None:
                    raise ApiError(404, "NotFound", '%s "%s" not found' % (plural, name))
                if method == "DELETE":
                    new, op = None, "DELETE"
                elif method == "PUT":
                    if not isinstance(payload, dict):
                        raise ApiError(400, "BadRequest", "the body must be an object")
                    want = payload.get("metadata", {}).get("resourceVersion")
                    if want and want != old["metadata"]["resourceVersion"]:
                        raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object '
                                       'has been modified; please apply your changes to the latest version '
                                       'and try again' % (plural, name))
                    new, op = payload, "UPDATE"
                else:
                    ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                    try:
                        if ctype == "application/json-patch+json":
                            new = json_patch(old, payload)
                        elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                            want = (payload or {}).get("metadata", {}).get("resourceVersion") \
                                if isinstance(payload, dict) and isinstance(payload.get("metadata"), dict) else None
                            if want and want != old["metadata"]["resourceVersion"]:
                                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the '
                                               'object has been modified' % (plural, name))
                            new = merge_patch(old, payload)
                        else:
                            raise ApiError(415, "UnsupportedMediaType",
                                           "the body of the request was in an unknown format: %s" % ctype)
                    except (ValueError, KeyError, IndexError, TypeError) as e:
                        if isinstance(payload, list) and any(o.get("op") == "test" for o in payload
                                                             if isinstance(o, dict)):
                            raise ApiError(409, "Conflict", "the JSON Patch test failed: %s" % e)
                        raise ApiError(422, "Invalid", "the patch could not be applied: %s" % e)
                    op = "UPDATE"
                if new is not None:
                    new = copy.deepcopy(new)
                    if sub == "status":
                        merged = copy.deepcopy(old)
                        merged["status"] = new.get("status")
                        new = merged
                    elif sub is None and "status" in old:
                        new["status"] = old["status"]
            if new is not None:
                new["apiVersion"], new["kind"] = api_version(res), res[3]
                m = new.setdefault("metadata", {})
                m["name"] = key[2]
                if res[4]:
                    if m.get("namespace") not in (None, "", ns):
                        raise ApiError(400, "BadRequest", "the namespace of the object does not match the request")
                    m["namespace"] = ns
                else:
                    m.pop("namespace", None)
                if old is not None:
                    for f in ("uid", "creationTimestamp"):
                        m[f] = old["metadata"][f]
                    m["generation"] = old["metadata"].get("generation", 1) + \
                        (1 if new.get("spec") != old.get("spec") else 0)
                else:
                    m["uid"] = str(uuid.uuid4())
                    m["creationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    m["generation"] = 1
                if res[3] == "Secret" and not new.get("type"):
                    new["type"] = "Opaque"
                m.pop("resourceVersion", None)
        # admission runs without the lock (webhooks may call back; timeouts are long)
        if plural not in NO_ADMISSION and op != "DELETE":
            new = self.admit(res, ns, key[2], op, new, old, dry)
        with st.lock:  # the answer is encoded under the lock and sent after it
            code, data = self.commit(st, op, key, plural, new, old, dry)
        return self.send_json(code, data)

    def commit(self, st, op, key, plural, new, old, dry):
        """The write's effect on the store (caller holds the lock): (status, encoded answer)."""
        cur = st.objs.get(key)
        if op == "CREATE" and cur is not None:
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (plural, key[2]))
        if op != "CREATE" and (cur is None or cur["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]):
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has '
                           'been modified; please apply your changes to the latest version and try again'
                           % (plural, key[2]))
        if dry:
            return 200 if op != "CREATE" else 201, json.dumps(new if new is not None else old).encode()
        if op == "DELETE":
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = st.next_rv()
            del st.objs[key]
            st.record(plural, "DELETED", gone)
            return 200, json.dumps(gone).encode()
        same = op == "UPDATE" and _without_rv(new) == _without_rv(old)
        if same:
            # a no-op write keeps the resourceVersion and sends no event (as the apiserver)
            return 200, json.dumps(old).encode()
        new["metadata"]["resourceVersion"] = st.next_rv()
        st.objs[key] = new
        st.record(plural, "ADDED" if op == "CREATE" else "MODIFIED", new)
        return 201 if op == "CREATE" else 200, json.dumps(new).encode()

    # ---- admission
    def admit(self, res, ns, name, op, new, old, dry):
        st = self.server.state
        with st.lock:
            muts = sorted((o for (p, _, _), o in st.objs.items() if p == "mutatingwebhookconfigurations"),
                          key=lambda o: o["metadata"]["name"])
            vals = sorted((o for (p, _, _), o in st.objs.items() if p == "validatingwebhookconfigurations"),
                          key=lambda o: o["metadata"]["name"])
            nsobj = st.objs.get(("namespaces", "", ns)) if ns else None
        ns_labels = dict((nsobj or {}).get("metadata", {}).get("labels") or {})
        if ns:
            ns_labels["kubernetes.io/metadata.name"] = ns
        for cfgs, mutating in ((muts, True), (vals, False)):
            for cfg in copy.deepcopy(cfgs):
                for wh in cfg.get("webhooks") or []:
                    if not self.webhook_matches(wh, res, ns, op, new, old, ns_labels):
                        continue
                    new = self.call_webhook(wh, res, ns, name, op, new, old, dry, mutating)
        return new

    def webhook_matches(self, wh, res, ns, op, new, old, ns_labels):
        group, version, plural, kind, namespaced = res
        hit = False
        for r in wh.get("rules") or []:
            ops = r.get("operations") or []
            if "*" not in ops and op not in ops:
                continue
            if not any(g in ("*", group) for g in r.get("apiGroups") or []):
                continue
            if not any(v in ("*", version) for v in r.get("apiVersions") or []):
                continue
            if not any(x in ("*", plural) for x in r.get("resources") or []):
                continue
            scope = r.get("scope", "*")
            if scope == "Cluster" and namespaced or scope == "Namespaced" and not namespaced:
                continue
            hit = True
            break
        if not hit:
            return False
        if kind == "Namespace":
            nl = dict(((new or old or {}).get("metadata") or {}).get("labels") or {})
            nl["kubernetes.io/metadata.name"] = ((new or old)["metadata"])["name"]
            if not labels_match(wh.get("namespaceSelector"), nl):
                return False
        elif namespaced and not labels_match(wh.get("namespaceSelector"), ns_labels):
            return False
        osel = wh.get("objectSelector")
        if osel:
            cands = [o for o in (new, old) if o is not None]
            if not any(labels_match(osel, o.get("metadata", {}).get("labels")) for o in cands):
                return False
        return True

    def call_webhook(self, wh, res, ns, name, op, new, old, dry, mutating):
        st = self.server.state
        whname = wh.get("name", "")
        timeout = int(wh.get("timeoutSeconds") or 10)
        fail_open = wh.get("failurePolicy", "Fail") == "Ignore"
        group, version, plural, kind, _ = res
        uid = str(uuid.uuid4())
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": uid, "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": plural},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": plural},
            "name": name, "namespace": ns or "", "operation": op,
            "userInfo": {"username": "gatewarden-test", "groups": ["system:authenticated"]},
            "object": new, "oldObject": old, "dryRun": dry,
            "options": {"kind": "CreateOptions" if op == "CREATE" else "UpdateOptions",
                        "apiVersion": "meta.k8s.io/v1"}}}
        with st.lock:
            st.stats["admission_calls"] += 1
        try:
            resp = self.post_review(wh, review, timeout)
            r = resp.get("response") if isinstance(resp, dict) else None
            if resp.get("apiVersion") != "admission.k8s.io/v1" or resp.get("kind") != "AdmissionReview" \
                    or not isinstance(r, dict):
                raise ValueError("received invalid webhook response: wrong apiVersion/kind or no response")
            if r.get("uid") != uid:
                raise ValueError("received invalid webhook response: expected response.uid=%s, got %s"
                                 % (uid, r.get("uid")))
            if ("patch" in r) != ("patchType" in r) or ("patchType" in r and r["patchType"] != "JSONPatch"):
                raise ValueError("received invalid webhook response: patch and patchType must come together")
            if "patch" in r and not mutating:
                raise ValueError("received invalid webhook response: a validating webhook returned a patch")
        except (OSError, ValueError, http.client.HTTPException, ssl.SSLError) as e:
            if fail_open:
                return new
            raise ApiError(500, "InternalError", 'Internal error occurred: failed calling webhook "%s": %s'
                           % (whname, e))
        if not r.get("allowed"):
            s = r.get("status") or {}
            code = s.get("code") or 403
            if code < 400:
                code = 400
            msg = s.get("message") or ""
            reason = s.get("reason") or ("Forbidden" if code == 403 else "BadRequest")
            text = 'admission webhook "%s" denied the request' % whname
            text += ": " + msg if msg else (": " + reason if s.get("reason") else " without explanation")
            raise ApiError(code, reason, text)
        if "patch" in r:
            try:
                ops = json.loads(base64.b64decode(r["patch"], validate=True))
            except ValueError as e:
                if fail_open:
                    return new
                raise ApiError(500, "InternalError", 'failed calling webhook "%s": bad patch: %s' % (whname, e))
            try:
                new = json_patch(new, ops)
            except (ValueError, KeyError, IndexError, TypeError) as e:
                raise ApiError(500, "InternalError", 'Internal error occurred: JSON Patch from webhook "%s" '
                               'could not be applied: %s' % (whname, e))
        return new

    def post_review(self, wh, review, timeout):
        st = self.server.state
        cc = wh.get("clientConfig") or {}
        ctx = ssl.create_default_context()
        if cc.get("caBundle"):
            ctx = ssl.create_default_context(cadata=base64.b64decode(cc["caBundle"]).decode())
        ctx.set_alpn_protocols(["http/1.1"])
        if "url" in cc:
            u = urllib.parse.urlsplit(cc["url"])
            if u.scheme != "https":
                raise ValueError("webhook url must be https")
            host, port, sni, path = u.hostname, u.port or 443, u.hostname, u.path or "/"
        else:
            svc = cc.get("service") or {}
            sni = "%s.%s.svc" % (svc.get("name"), svc.get("namespace"))
            port = int(svc.get("port") or 443)
            key = "%s/%s" % (svc.get("namespace"), svc.get("name"))
            host, port = st.service_map.get(key, (sni, port))
            path = svc.get("path") or "/"
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            sock = ctx.wrap_socket(raw, server_hostname=sni)
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            conn.sock = sock
            data = json.dumps(review).encode()
            conn.request("POST", path + "?timeout=%ds" % timeout, body=data,
                         headers={"Content-Type": "application/json", "Accept": "application/json",
                                  "User-Agent": "kube-apiserver-admission", "Host": sni})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status // 100 != 2:
                raise ValueError("the server responded with HTTP %d" % resp.status)
            return json.loads(body)
        finally:
            raw.close()


def _without_rv(o):
    o = copy.deepcopy(o)
    o.get("metadata", {}).pop("resourceVersion", None)
    return o


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def get_request(self):
        sock, addr = super().get_request()
        return sock, addr

    def finish_request(self, request, client_address):
        # the TLS handshake runs in the request's thread, never in the accept loop
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            request.close()
            return
        super().finish_request(request, client_address)


def openssl(*a):
    subprocess.run(["openssl", *a], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    if not os.path.exists(ca_crt):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", ca_key, "-out", ca_crt, "-days", "3", "-subj", "/CN=gatewarden-test-ca")
    for name, cn, ext in (("server", "apiserver", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                          ("client", "gatewarden-test-client", "extendedKeyUsage=clientAuth")):
        crt = os.path.join(d, name + ".crt")
        if os.path.exists(crt):
            continue
        key = os.path.join(d, name + ".key")
        csr = os.path.join(d, name + ".csr")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
        extf = os.path.join(d, name + ".ext")
        with open(extf, "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                "-out", crt, "-days", "3", "-extfile", extf)


def write_kubeconfig(d, port, token):
    ca = base64.b64encode(open(os.path.join(d, "ca.crt"), "rb").read()).decode()
    text = """apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:%d
    certificate-authority-data: %s
users:
- name: tester
  user:
    token: %s
- name: cert-user
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: test
  context: {cluster: test, user: tester, namespace: default}
- name: cert
  context: {cluster: test, user: cert-user}
current-context: test
""" % (port, ca, token, os.path.join(d, "client.crt"), os.path.join(d, "client.key"))
    tmp = os.path.join(d, "kubeconfig.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(d, "kubeconfig"))


def main():
    # objects are stored and copied as sent, however deep (tests send 600 levels; the
    # real apiserver's JSON decoder allows 10,000)
    sys.setrecursionlimit(10000)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="PKI, kubeconfig, token and port file go here")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default=None)
    ap.add_argument("--history", type=int, default=100000, help="events kept for watches (older: 410)")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--fault", action="append", help="a fault (JSON), see the module docstring")
    ap.add_argument("--service-endpoint", action="append",
                    help="NS/NAME=HOST:PORT: where a webhook's clientConfig.service is reached")
    ap.add_argument("--load", help="a JSON file with a list of objects to create at start (no admission)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    if args.token is None:
        args.token = secrets.token_hex(16)
    make_pki(args.dir)
    st = State(args)
    if args.load:
        with open(args.load) as f:
            for o in json.load(f):
                res = next(r for r in RESOURCES if r[3] == o["kind"])
                m = o.setdefault("metadata", {})
                m.setdefault("uid", str(uuid.uuid4()))
                m.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
                m["generation"] = 1
                m["resourceVersion"] = st.next_rv()
                st.objs[(res[2], m.get("namespace", "") if res[4] else "", m["name"])] = o
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(os.path.join(args.dir, "server.crt"), os.path.join(args.dir, "server.key"))
    tls.load_verify_locations(os.path.join(args.dir, "ca.crt"))
    tls.verify_mode = ssl.CERT_OPTIONAL
    tls.set_alpn_protocols(["http/1.1"])
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.tls = tls
    srv.state = st
    port = srv.server_address[1]
    with open(os.path.join(args.dir, "token"), "w") as f:
        f.write(args.token)
    write_kubeconfig(args.dir, port, args.token)
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
