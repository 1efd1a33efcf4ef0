#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The checks of tests/openapi_test.sh on the OpenAPI documents of
# Documentation/openapi/, with PyYAML and the standard library only:
#
#   openapi_check.py lint SPEC
#       the document itself: every $ref resolves, schemas use only the
#       keywords the validator below knows, every example validates
#   openapi_check.py routes SPEC confserver|portal C-FILE
#       its (method, path) set is the route table of the C file
#   openapi_check.py run SPEC BASE-URL [--first OPID,...] [--save DIR] [--label NAME]
#       sends every documented request to a running daemon, one wrong
#       body per operation with a body, one request without credentials
#       per secured operation, another method on every path
#   openapi_check.py send SPEC BASE-URL OPID [--param K=V] [--body JSON]
#                    [--want STATUS] [--no-auth] [--save FILE] [--curl ARG]...
#                    [--label NAME]
#       one request, checked as above
#
# Requests go through curl. Extra curl arguments (--cacert ...) come from
# $OA_CURL, bearer tokens per role from $OA_TOKEN_PORTAL and
# $OA_TOKEN_OPERATOR (an operation's x-role picks one). Prints "ok NAME",
# "not ok NAME" and "# diagnostic" lines; the caller numbers them.
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.parse

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The subset of JSON Schema (OpenAPI 3.0 flavour) the validator checks, and
# the keywords it may ignore. Anything else in a schema is a lint error:
# a constraint nobody checks is one that drifts.
KEYWORDS = {"$ref", "type", "nullable", "enum", "required", "properties",
            "additionalProperties", "items", "minItems", "maxItems", "minimum",
            "maximum", "minLength", "maxLength", "pattern", "oneOf", "allOf", "not"}
ANNOTATIONS = {"description", "example", "format", "title", "readOnly", "writeOnly",
               "deprecated"}


def out(ok, name, *diag):
    print(("ok " if ok else "not ok ") + name)
    for d in (diag if not ok else ()):
        for line in str(d).splitlines() or [""]:
            print("# " + line)
    sys.stdout.flush()
    return ok


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.path = path
        self.name = os.path.basename(path)

    def ref(self, ref):
        if not ref.startswith("#/"):
            raise KeyError("not a local $ref: %s" % ref)
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
        return node

    def deref(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            node = self.ref(node["$ref"])
            seen += 1
            if seen > 32:
                raise KeyError("$ref loop")
        return node

    def operations(self):
        for path, item in (self.doc.get("paths") or {}).items():
            for m in METHODS:
                if m in item:
                    yield path, m.upper(), item[m], item

    # -------------------------------------------------------- validator

    def validate(self, schema, v, where="$"):
        """The errors of v against schema, as a list of strings."""
        if "$ref" in schema:
            return self.validate(self.ref(schema["$ref"]), v, where)
        if v is None and schema.get("nullable"):
            return []
        errs = []
        t = schema.get("type")
        if t is not None and not type_is(v, t):
            return ["%s: %s is not of type %s" % (where, short(v), t)]
        if "enum" in schema and not any(same(v, e) for e in schema["enum"]):
            errs.append("%s: %s is not one of %s" % (where, short(v), schema["enum"]))
        if isinstance(v, dict):
            for k in schema.get("required", []):
                if k not in v:
                    errs.append("%s: required field '%s' is missing" % (where, k))
            props = schema.get("properties", {})
            for k, sub in props.items():
                if k in v:
                    errs += self.validate(sub, v[k], "%s.%s" % (where, k))
            extra = schema.get("additionalProperties", True)
            for k in v:
                if k in props:
                    continue
                if extra is False:
                    errs.append("%s: field '%s' is not documented" % (where, k))
                elif isinstance(extra, dict):
                    errs += self.validate(extra, v[k], "%s.%s" % (where, k))
        if isinstance(v, list):
            if "minItems" in schema and len(v) < schema["minItems"]:
                errs.append("%s: %d items, fewer than %d" % (where, len(v), schema["minItems"]))
            if "maxItems" in schema and len(v) > schema["maxItems"]:
                errs.append("%s: %d items, more than %d" % (where, len(v), schema["maxItems"]))
            if "items" in schema:
                for i, x in enumerate(v):
                    errs += self.validate(schema["items"], x, "%s[%d]" % (where, i))
        if is_number(v):
            if "minimum" in schema and v < schema["minimum"]:
                errs.append("%s: %s is below %s" % (where, v, schema["minimum"]))
            if "maximum" in schema and v > schema["maximum"]:
                errs.append("%s: %s is above %s" % (where, v, schema["maximum"]))
        if isinstance(v, str):
            if "minLength" in schema and len(v) < schema["minLength"]:
                errs.append("%s: %s is shorter than %d" % (where, short(v), schema["minLength"]))
            if "maxLength" in schema and len(v) > schema["maxLength"]:
                errs.append("%s: %s is longer than %d" % (where, short(v), schema["maxLength"]))
            if "pattern" in schema and not re.search(schema["pattern"], v):
                errs.append("%s: %s does not match %s" % (where, short(v), schema["pattern"]))
        for sub in schema.get("allOf", []):
            errs += self.validate(sub, v, where)
        if "oneOf" in schema:
            n = sum(1 for sub in schema["oneOf"] if not self.validate(sub, v, where))
            if n != 1:
                errs.append("%s: matches %d of the oneOf alternatives, not exactly one" %
                            (where, n))
        if "not" in schema and not self.validate(schema["not"], v, where):
            errs.append("%s: matches the schema it must not" % where)
        return errs

    # -------------------------------------------------------- lint

    def schemas(self):
        """(where, schema) of every schema in the document, nested ones too."""
        todo = []
        for k, s in ((self.doc.get("components") or {}).get("schemas") or {}).items():
            todo.append(("components.schemas." + k, s))
        for where, node in walk(self.doc, ""):
            if isinstance(node, dict) and "schema" in node and isinstance(node["schema"], dict) \
               and not where.startswith(".components.schemas"):
                todo.append((where + ".schema", node["schema"]))
        while todo:
            where, s = todo.pop()
            yield where, s
            for k in ("properties",):
                for pk, sub in (s.get(k) or {}).items():
                    todo.append(("%s.%s.%s" % (where, k, pk), sub))
            for k in ("items", "not"):
                if isinstance(s.get(k), dict):
                    todo.append(("%s.%s" % (where, k), s[k]))
            if isinstance(s.get("additionalProperties"), dict):
                todo.append((where + ".additionalProperties", s["additionalProperties"]))
            for k in ("allOf", "oneOf"):
                for i, sub in enumerate(s.get(k) or []):
                    todo.append(("%s.%s[%d]" % (where, k, i), sub))


def walk(node, where):
    yield where, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, "%s.%s" % (where, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s[%d]" % (where, i))


def type_is(v, t):
    return {
        "object": lambda: isinstance(v, dict),
        "array": lambda: isinstance(v, list),
        "string": lambda: isinstance(v, str),
        "integer": lambda: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda: is_number(v),
        "boolean": lambda: isinstance(v, bool),
    }.get(t, lambda: False)()


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same(a, b):
    # True == 1 in Python, not in JSON
    return type(a) is type(b) and a == b


def short(v):
    s = json.dumps(v)
    return s if len(s) <= 80 else s[:77] + "..."


def body_examples(spec, op):
    """[(name, value)] of an operation's JSON request body, and its schema."""
    rb = spec.deref(op.get("requestBody") or {})
    media = (rb.get("content") or {}).get("application/json")
    if media is None:
        return None, []
    ex = []
    if "example" in media:
        ex.append(("example", media["example"]))
    for name, e in (media.get("examples") or {}).items():
        e = spec.deref(e)
        if "value" in e:
            ex.append((name, e["value"]))
    return media.get("schema"), ex


def params(spec, op, item):
    ps = {}
    for p in (item.get("parameters") or []) + (op.get("parameters") or []):
        p = spec.deref(p)
        ps[(p["name"], p["in"])] = p
    return ps


def lint(spec):
    d = spec.doc
    out(d.get("openapi") == "3.0.3", "%s: openapi 3.0.3" % spec.name, "got %r" % d.get("openapi"))
    bad = []
    for where, node in walk(d, ""):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                spec.ref(node["$ref"])
            except (KeyError, TypeError):
                bad.append("%s: %s" % (where, node["$ref"]))
    out(not bad, "%s: every $ref resolves" % spec.name, *bad)
    bad = []
    for where, s in spec.schemas():
        if not isinstance(s, dict):
            bad.append("%s: not an object" % where)
            continue
        for k in s:
            if k not in KEYWORDS and k not in ANNOTATIONS and not k.startswith("x-"):
                bad.append("%s: keyword '%s' is not checked by this validator" % (where, k))
    out(not bad, "%s: schemas use only the keywords the validator checks" % spec.name, *bad)

    ids, bad, n_ex = set(), [], 0
    for path, method, op, item in spec.operations():
        name = "%s %s" % (method, path)
        oid = op.get("operationId")
        if not oid or oid in ids:
            bad.append("%s: operationId missing or not unique" % name)
        ids.add(oid)
        resp = op.get("responses") or {}
        if not resp:
            bad.append("%s: no responses" % name)
        for st, r in resp.items():
            if not re.fullmatch(r"[1-5][0-9][0-9]", str(st)):
                bad.append("%s: response '%s' is not one status" % (name, st))
                continue
            r = spec.deref(r)
            for mt, media in (r.get("content") or {}).items():
                if "schema" not in media:
                    bad.append("%s %s %s: no schema" % (name, st, mt))
                elif mt == "application/json" and int(st) >= 400 and \
                        "#/components/schemas/Error" not in json.dumps(media["schema"]):
                    bad.append("%s %s: the error body is not the Error schema" % (name, st))
        schema, ex = body_examples(spec, op)
        if "requestBody" in op:
            if schema is None:
                bad.append("%s: the request body has no application/json schema" % name)
            elif not ex:
                bad.append("%s: the request body has no example" % name)
            for exname, value in ex:
                n_ex += 1
                errs = spec.validate(schema, value)
                if errs:
                    bad.append("%s example '%s' does not match its schema:" % (name, exname))
                    bad += ["  " + e for e in errs]
        ps = params(spec, op, item)
        for p in re.findall(r"{([^}]*)}", path):
            pp = ps.get((p, "path"))
            if not pp or "example" not in pp:
                bad.append("%s: path parameter '%s' has no example" % (name, p))
            else:
                errs = spec.validate(pp.get("schema") or {}, pp["example"])
                if errs:
                    bad.append("%s: the example of '%s': %s" % (name, p, "; ".join(errs)))
        role = op.get("x-role")
        if "x-role" in op or spec.name.startswith("confserver"):
            sec = op.get("security", d.get("security"))
            if role not in ("none", "portal", "operator"):
                bad.append("%s: x-role is none, portal or operator, not %r" % (name, role))
            elif (role == "none") != (sec == []):
                bad.append("%s: x-role %s but security %r" % (name, role, sec))
    out(not bad, "%s: every operation has an id, responses with schemas, and request "
        "examples that match their schemas (%d examples)" % (spec.name, n_ex), *bad)
    bad = []
    for k, s in ((d.get("components") or {}).get("schemas") or {}).items():
        if "example" in s:
            bad += ["%s: %s" % (k, e) for e in spec.validate(s, s["example"])]
    out(not bad, "%s: schema examples match their schemas" % spec.name, *bad)


# ------------------------------------------------------------ route tables

def c_block(src, start):
    """The text from the first match of regex start to its matching '}'."""
    m = re.search(start, src)
    if not m:
        return ""
    i = src.index("{", m.end() - 1)
    depth = 0
    for j in range(i, len(src)):
        depth += {"{": 1, "}": -1}.get(src[j], 0)
        if depth == 0:
            return src[i:j + 1]
    return ""


def c_routes(kind, src):
    """{(METHOD, path): role or None} of the route table in a C file. A
    prefix route ("/v1/sessions/") becomes "/v1/sessions/{}"."""
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    routes = {}
    if kind == "confserver":
        table = c_block(src, r"cs_routes\s*\[\s*\]\s*=\s*{")
        for m in re.finditer(r'{\s*CS_R_\w+\s*,\s*"(\w+)"\s*,\s*"([^"]+)"\s*,\s*CS_ROLE_(\w+)',
                             table):
            method, path, role = m.groups()
            if path.endswith("/"):
                path += "{}"
            routes[(method, path)] = role.lower()
        return routes
    # portal/route.c has no single table: the POST routes are its posts[],
    # every other path portal_route_find() compares url with is a route of
    # the methods `get` stands for
    fn = c_block(src, r"portal_route_find\s*\([^)]*\)\s*{")
    posts = c_block(fn, r"posts\s*\[\s*\]\s*=\s*{")
    for m in re.finditer(r'{\s*"(/[^"]*)"\s*,\s*RGM_PORTAL_\w+\s*}', posts):
        routes[("POST", m.group(1))] = None
    get = re.search(r"bool\s+get\s*=([^;]*);", fn)
    get_methods = re.findall(r'strcmp\(\s*method\s*,\s*"(\w+)"\s*\)',
                             get.group(1)) if get else []
    rest = fn.replace(posts, "")
    paths = re.findall(r'strcmp\(\s*url\s*,\s*"(/[^"]*)"\s*\)', rest)
    paths += [p + "{}" for p in re.findall(r'strncmp\(\s*url\s*,\s*"(/[^"]*/)"\s*,\s*\d+\s*\)',
                                           rest)]
    for p in paths:
        for m in get_methods:
            routes[(m, p)] = None
    return routes


def routes_check(spec, kind, cfile):
    with open(cfile) as f:
        code = c_routes(kind, f.read())
    doc = {}
    for path, method, op, item in spec.operations():
        doc[(method, re.sub(r"{[^}]*}", "{}", path))] = op.get("x-role")
    if not out(len(code) >= 4, "%s: the route table of %s is found (%d routes)" %
               (spec.name, os.path.basename(cfile), len(code))):
        return
    missing = sorted(set(code) - set(doc))
    extra = sorted(set(doc) - set(code))
    out(not missing and not extra,
        "%s documents exactly the %d routes of %s" % (spec.name, len(code), cfile),
        *(["in the code, not documented: %s %s" % r for r in missing] +
          ["documented, not in the code: %s %s" % r for r in extra]))
    if kind == "confserver":
        bad = ["%s %s: x-role %s, cs_routes[] says %s" % (r[0], r[1], doc[r], code[r])
               for r in sorted(set(code) & set(doc)) if doc[r] != code[r]]
        out(not bad, "%s: every operation's x-role is its route's role" % spec.name, *bad)


# ------------------------------------------------------------ requests

class Reply:
    pass


def curl(method, url, body=None, headers=(), extra=()):
    with tempfile.TemporaryDirectory() as d:
        bf, hf = os.path.join(d, "body"), os.path.join(d, "hdr")
        cmd = ["curl", "-s", "--max-time", "25", "-o", bf, "-D", hf, "-w", "%{http_code}"]
        cmd += ["--head"] if method == "HEAD" else ["-X", method]
        cmd += shlex.split(os.environ.get("OA_CURL", "")) + list(extra)
        for h in headers:
            cmd += ["-H", h]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", body]
        cmd.append(url)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        r = Reply()
        r.status = int(p.stdout.strip() or 0) if p.stdout.strip().isdigit() else 0
        r.body = open(bf, "rb").read() if os.path.exists(bf) and method != "HEAD" else b""
        raw = open(hf, errors="replace").read() if os.path.exists(hf) else ""
        # the last header block (after any 100 Continue)
        blocks = [b for b in re.split(r"\r?\n\r?\n", raw) if b.strip()]
        r.headers = {}
        for line in (blocks[-1].splitlines()[1:] if blocks else []):
            if ":" in line:
                k, v = line.split(":", 1)
                r.headers[k.strip().lower()] = v.strip()
        shown = [c for c in cmd
                 if c not in ("-o", "-D", "-w", bf, hf, "%{http_code}")]
        shown = [re.sub(r"^(Authorization: Bearer ).*", r"\1...", c) for c in shown]
        r.cmd = " ".join(shlex.quote(c) for c in shown)
        return r


def check_reply(spec, op, method, r, want=None):
    """Problems of a reply against the operation's documented responses."""
    resp = op.get("responses") or {}
    if r.status == 0:
        return ["no HTTP reply"]
    if str(r.status) not in resp:
        return ["status %d is not documented (documented: %s)" %
                (r.status, ", ".join(sorted(resp)))]
    probs = []
    if want is not None and r.status != want:
        probs.append("status %d, the test wants %d" % (r.status, want))
    doc = spec.deref(resp[str(r.status)])
    for name, h in (doc.get("headers") or {}).items():
        if spec.deref(h).get("required") and name.lower() not in r.headers:
            probs.append("header %s is missing" % name)
    content = doc.get("content") or {}
    if not content:
        return probs
    ctype = r.headers.get("content-type", "").split(";")[0].strip()
    if ctype not in content:
        return probs + ["Content-Type '%s' is not documented (%s)" % (ctype, ", ".join(content))]
    if method == "HEAD":
        return probs
    schema = content[ctype].get("schema") or {}
    if ctype == "application/json":
        try:
            v = json.loads(r.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            return probs + ["the body is not JSON: %s" % e]
        probs += spec.validate(schema, v)
        if r.status >= 400 and isinstance(v, dict) and isinstance(v.get("error"), dict) \
           and v["error"].get("status") != r.status:
            probs.append("error.status %r is not the HTTP status" % v["error"].get("status"))
    else:
        try:
            probs += spec.validate(schema, r.body.decode("utf-8"))
        except UnicodeDecodeError:
            probs.append("the body is not UTF-8")
    return probs


def auth_headers(op):
    role = op.get("x-role")
    tok = os.environ.get("OA_TOKEN_" + str(role).upper()) if role not in (None, "none") else None
    return ["Authorization: Bearer " + tok] if tok else []


def url_of(base, path, op, item, spec, override=None):
    ps = params(spec, op, item)

    def sub(m):
        name = m.group(1)
        v = (override or {}).get(name, ps.get((name, "path"), {}).get("example", ""))
        return urllib.parse.quote(str(v), safe="")
    return base + re.sub(r"{([^}]*)}", sub, path)


def report(name, r, probs, body=None):
    diag = []
    if probs:
        diag = probs + ["request: %s" % r.cmd]
        if body is not None:
            diag.append("sent: %s" % body)
        diag.append("reply %d: %s" % (r.status, r.body.decode("utf-8", "replace")[:600]))
    return out(not probs, name, *diag)


def find_op(spec, oid):
    for path, method, op, item in spec.operations():
        if op.get("operationId") == oid:
            return path, method, op, item
    return None


def run(spec, base, first, save):
    ops = list(spec.operations())
    order = {oid: i for i, oid in enumerate(first)}
    ops.sort(key=lambda o: order.get(o[2].get("operationId"), len(order)))
    for path, method, op, item in ops:
        oid = op.get("operationId")
        url = url_of(base, path, op, item, spec)
        schema, examples = body_examples(spec, op)
        sends = [(n, json.dumps(v)) for n, v in examples] or [(None, None)]
        for exname, body in sends:
            r = curl(method, url, body, auth_headers(op))
            what = "example '%s'" % exname if exname else "documented request"
            name = "%s: %s %s, %s: %d is documented and the reply matches" % (
                spec.name, method, path, what, r.status)
            report(name, r, check_reply(spec, op, method, r), body)
            if save:
                with open(os.path.join(save, "%s.%s.json" % (oid, exname or "req")), "wb") as f:
                    f.write(r.body)
        if examples:
            # a wrong body: the first example without its first required field
            req = spec.deref(schema).get("required") or []
            v = dict(examples[0][1])
            gone = req[0] if req else None
            v.pop(gone, None)
            body = json.dumps(v)
            r = curl(method, url, body, auth_headers(op))
            probs = check_reply(spec, op, method, r)
            if not spec.validate(schema, v):
                probs.append("the wrong body matches the request schema")
            if not 400 <= r.status <= 499:
                probs.append("status %d is not a 4xx" % r.status)
            report("%s: %s %s without '%s': %d is a documented 4xx, the error matches" %
                   (spec.name, method, path, gone, r.status), r, probs, body)
        sec = op.get("security", spec.doc.get("security"))
        if sec:
            body = sends[0][1]
            r = curl(method, url, body)
            probs = check_reply(spec, op, method, r, want=401)
            report("%s: %s %s without credentials: %d is documented, the error matches" %
                   (spec.name, method, path, r.status), r, probs, body)
    # another method on each path
    other = spec.doc.get("x-other-methods")
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in (spec.doc.get("paths") or {}).items():
        m = next(x for x in ("PUT", "DELETE", "PATCH") if x.lower() not in item)
        op = next((item[x] for x in METHODS if x in item), {})
        r = curl(m, url_of(base, path, op, item, spec), None, auth_headers(op))
        probs = [] if r.status == other else ["status %d, x-other-methods says %s" %
                                               (r.status, other)]
        try:
            probs += spec.validate(error, json.loads(r.body.decode()))
        except ValueError as e:
            probs.append("the body is not JSON: %s" % e)
        report("%s: %s %s: %s as x-other-methods says, the error matches" %
               (spec.name, m, path, other), r, probs)
    r = curl("GET", base + "/v1/no-such-route")
    probs = [] if r.status == 404 else ["status %d" % r.status]
    try:
        probs += spec.validate(error, json.loads(r.body.decode()))
    except ValueError as e:
        probs.append("the body is not JSON: %s" % e)
    report("%s: an unknown path is 404 with the error schema" % spec.name, r, probs)


def send(spec, base, oid, param, body, want, no_auth, save, extra):
    found = find_op(spec, oid)
    if not found:
        return out(False, "%s: operation %s is documented" % (spec.name, oid))
    path, method, op, item = found
    url = url_of(base, path, op, item, spec, param)
    r = curl(method, url, body, [] if no_auth else auth_headers(op), extra)
    if save:
        with open(save, "wb") as f:
            f.write(r.body)
    probs = check_reply(spec, op, method, r, want)
    return report("%s: %s %s%s: %d is documented and the reply matches" % (
        spec.name, method, url[len(base):], " (client certificate)" if extra else "",
        r.status), r, probs, body)


def main(argv):
    if len(argv) < 3:
        raise SystemExit("usage: see the head of %s" % argv[0])
    cmd, spec = argv[1], Spec(argv[2])
    if cmd == "lint":
        lint(spec)
    elif cmd == "routes":
        routes_check(spec, argv[3], argv[4])
    elif cmd == "run":
        first, save, i = [], None, 4
        while i < len(argv):
            if argv[i] == "--first":
                first = argv[i + 1].split(",")
            elif argv[i] == "--save":
                save = argv[i + 1]
            elif argv[i] == "--label":
                spec.name = argv[i + 1]
            i += 2
        run(spec, argv[3], first, save)
    elif cmd == "send":
        base, oid = argv[3], argv[4]
        param, body, want, no_auth, save, extra, i = {}, None, None, False, None, [], 5
        while i < len(argv):
            a = argv[i]
            if a == "--param":
                k, v = argv[i + 1].split("=", 1)
                param[k] = v
            elif a == "--body":
                body = argv[i + 1]
            elif a == "--want":
                want = int(argv[i + 1])
            elif a == "--save":
                save = argv[i + 1]
            elif a == "--curl":
                extra.append(argv[i + 1])
            elif a == "--label":
                spec.name = argv[i + 1]
            elif a == "--no-auth":
                no_auth = True
                i += 1
                continue
            i += 2
        send(spec, base, oid, param, body, want, no_auth, save, extra)
    else:
        raise SystemExit("unknown command %s" % cmd)


if __name__ == "__main__":
    main(sys.argv)
