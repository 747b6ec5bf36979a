#!/usr/bin/env python3
"""Conformance: real Salesforce clients against `sfprov emulator serve`.

Starts the emulator (HTTP and HTTPS, a JWT certificate registered for its
connected app), then drives the Salesforce CLI, jsforce and simple-salesforce
through the commands admins use every day. Prints one line per step and
`N passed, M failed`; exits 1 when anything failed.

Run through `tests/conformance/run`, which installs the clients; it needs
SFPROV (the sfprov binary) and SF_BIN, NODE_BIN, NODE_PATH set.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SFPROV = os.environ["SFPROV"]
SF = os.environ.get("SF_BIN", "sf")
NODE = os.environ.get("NODE_BIN", "node")
COMMAND_TIMEOUT = 180

# The seeded org (crates/emulator/src/seed.json).
ADMIN = "admin@sfprov.local"
ADMIN_PASSWORD = "emulated-Passw0rd"
CLIENT_ID = "3MVG9sfprovLocalEmulatorClientId"
CLIENT_SECRET = "sfprov-local-secret"
INTEGRATION_USER = "integration@00d5g000004emuleas.local"


class Failed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failed(message)


class Context:
    def __init__(self, work):
        self.work = work
        self.home = os.path.join(work, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ)
        self.env.update(
            {
                "HOME": self.home,
                "SF_DISABLE_TELEMETRY": "true",
                "SF_AUTOUPDATE_DISABLE": "true",
                "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
                "SF_SKIP_NEW_VERSION_CHECK": "true",
                "SF_DISABLE_DNS_CHECK": "true",
                "SF_LOG_LEVEL": "warn",
                "NO_COLOR": "1",
            }
        )
        self.emulators = []
        self.ready = {}
        self.tls_ready = {}
        self.deploy_job = None
        self.mdapi_zip = None

    def run(self, args, cwd=None, env=None, input=None):
        full_env = dict(self.env)
        full_env.update(env or {})
        p = subprocess.run(
            args,
            cwd=cwd or self.work,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        return p

    def sf(self, *args, cwd=None, env=None, ok=True):
        """Runs `sf ARGS --json`; returns the parsed document (`result`)."""
        p = self.run([SF, *args, "--json"], cwd=cwd, env=env)
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError:
            raise Failed(
                f"sf {' '.join(args)} printed no JSON (exit {p.returncode}): "
                f"{tail(p.stdout)} {tail(p.stderr)}"
            )
        if ok and (p.returncode != 0 or doc.get("status") != 0):
            raise Failed(
                f"sf {' '.join(args)} failed (exit {p.returncode}): "
                f"{doc.get('name')}: {doc.get('message')}"
            )
        return doc.get("result", doc) if ok else doc

    def node(self, script, *args):
        p = self.run([NODE, os.path.join(HERE, script), *args])
        if p.returncode != 0:
            raise Failed(f"node {script} {' '.join(args)}: {tail(p.stderr or p.stdout)}")
        return p.stdout

    def start_emulator(self, *extra):
        p = subprocess.Popen(
            [SFPROV, "emulator", "serve", "-v", *extra],
            stdout=subprocess.PIPE,
            stderr=open(os.path.join(self.work, f"emulator{len(self.emulators)}.log"), "w"),
            text=True,
        )
        self.emulators.append(p)
        line = p.stdout.readline()
        check(line, "sfprov emulator serve printed no ready line")
        return json.loads(line)

    def stop(self):
        for p in self.emulators:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def tail(text, n=400):
    text = (text or "").strip().replace("\n", " | ")
    return text[-n:]


STEPS = []


def step(name):
    def register(f):
        STEPS.append((name, f))
        return f

    return register


# --- the emulator -----------------------------------------------------------


@step("emulator: serve over HTTP and HTTPS with a JWT certificate")
def serve(cx):
    cx.cert = os.path.join(cx.work, "tls.crt")
    cx.key = os.path.join(cx.work, "tls.key")
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", cx.key, "-out", cx.cert,
    )
    cx.jwt_cert = os.path.join(cx.work, "jwt.crt")
    cx.jwt_key = os.path.join(cx.work, "jwt.key")
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=sfprov-conformance", "-keyout", cx.jwt_key, "-out", cx.jwt_cert,
    )
    cx.ready = cx.start_emulator("--state", os.path.join(cx.work, "org"), "--jwt-cert", cx.jwt_cert)
    check(cx.ready["instance_url"].startswith("http://127.0.0.1:"), f"ready line: {cx.ready}")
    cx.tls_ready = cx.start_emulator(
        "--tls-cert", cx.cert, "--tls-key", cx.key, "--jwt-cert", cx.jwt_cert
    )
    check(cx.tls_ready["instance_url"].startswith("https://127.0.0.1:"), f"ready line: {cx.tls_ready}")
    # Node and Python trust the emulator's certificate the way they trust a
    # corporate CA: through their standard environment variables.
    cx.env["NODE_EXTRA_CA_CERTS"] = cx.cert
    cx.env["REQUESTS_CA_BUNDLE"] = cx.cert


def openssl(*args):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True)
    check(p.returncode == 0, f"openssl {args[0]}: {tail(p.stderr)}")


# --- the Salesforce CLI -----------------------------------------------------


@step("sf org login access-token")
def login_access_token(cx):
    r = cx.sf(
        "org", "login", "access-token", "--instance-url", cx.ready["instance_url"],
        "--alias", "local", "--set-default", "--no-prompt",
        env={"SF_ACCESS_TOKEN": cx.ready["access_token"]},
    )
    check(r.get("username") == ADMIN, f"logged in as {r.get('username')}")
    check(r.get("orgId") == cx.ready["org_id"], f"org id {r.get('orgId')}")


@step("sf org display")
def org_display(cx):
    r = cx.sf("org", "display", "-o", "local")
    check(r.get("connectedStatus") == "Connected", f"connectedStatus {r.get('connectedStatus')}")
    check(r.get("id") == cx.ready["org_id"], f"id {r.get('id')}")


@step("sf org list metadata-types")
def list_metadata_types(cx):
    r = cx.sf("org", "list", "metadata-types", "-o", "local")
    names = {m["xmlName"] for m in r.get("metadataObjects", [])}
    for t in ("Profile", "PermissionSet", "ConnectedApp"):
        check(t in names, f"{t} missing from {sorted(names)[:10]}…")


@step("sf org list metadata -m Profile")
def list_metadata(cx):
    r = cx.sf("org", "list", "metadata", "-m", "Profile", "-o", "local")
    names = {m["fullName"] for m in r}
    check("Admin" in names, f"Admin missing from {sorted(names)}")


@step("sf data query (records)")
def data_query(cx):
    r = cx.sf("data", "query", "-q", "SELECT Id, Username, Profile.Name FROM User ORDER BY Username", "-o", "local")
    users = [rec["Username"] for rec in r["records"]]
    check(ADMIN in users, f"users {users}")
    check(r["totalSize"] == len(users), f"totalSize {r['totalSize']} for {len(users)} records")
    admin = next(rec for rec in r["records"] if rec["Username"] == ADMIN)
    check(admin["Profile"]["Name"] == "System Administrator", f"admin profile {admin['Profile']}")


@step("sf data query (count())")
def data_query_count(cx):
    r = cx.sf("data", "query", "-q", "SELECT count() FROM Profile", "-o", "local")
    check(r["totalSize"] >= 4, f"totalSize {r['totalSize']}")


@step("sf data query --use-tooling-api (SandboxProcess)")
def tooling_query(cx):
    r = cx.sf(
        "data", "query", "--use-tooling-api", "-q", "SELECT Id, SandboxName, Status FROM SandboxProcess",
        "-o", "local",
    )
    check(r["totalSize"] == 0 and r["records"] == [], f"a production org copies no sandboxes: {r}")


@step("sf org display user (a semi-join query)")
def display_user(cx):
    r = cx.sf("org", "display", "user", "-o", "local")
    check(r.get("profileName") == "System Administrator", f"profileName {r.get('profileName')}")
    check(r.get("username") == ADMIN, f"username {r.get('username')}")


@step("sf org create user is refused as on any production org (scratch orgs only)")
def create_user(cx):
    # sf creates users only in scratch orgs; the emulator is a production
    # org and does not pretend otherwise. `sfprov apply` creates the user.
    r = cx.sf("org", "create", "user", "-o", "local", ok=False)
    check(r.get("name") == "NonScratchOrgError", f"{r.get('name')}: {r.get('message')}")


@step("sfprov generate --template zendesk (the project sf deploys)")
def generate(cx):
    cx.project = os.path.join(cx.work, "project")
    p = cx.run([SFPROV, "generate", "--template", "zendesk", "-d", cx.project, "--format", "source"])
    check(p.returncode == 0, f"sfprov generate: {tail(p.stderr)}")
    check(os.path.exists(os.path.join(cx.project, "sfdx-project.json")), "no sfdx-project.json")


@step("sf project deploy start --dry-run (source format)")
def deploy_dry_run(cx):
    r = cx.sf("project", "deploy", "start", "--source-dir", "force-app", "--dry-run", "-o", "local", cwd=cx.project)
    check(r.get("success") is True, f"success {r.get('success')} status {r.get('status')}")
    check(r.get("checkOnly") is True, f"checkOnly {r.get('checkOnly')}")
    r = cx.sf("data", "query", "-q", "SELECT Id FROM PermissionSet WHERE Name = 'Zendesk_Integration'", "-o", "local")
    check(r["totalSize"] == 0, "a dry run created the permission set")


@step("sf project deploy start (source format)")
def deploy_source(cx):
    r = cx.sf("project", "deploy", "start", "--source-dir", "force-app", "-o", "local", cwd=cx.project)
    check(r.get("success") is True, f"success {r.get('success')} status {r.get('status')}")
    files = {f.get("fullName") for f in r.get("files", [])}
    check("Zendesk_Integration" in files, f"deployed {sorted(files)}")
    cx.deploy_job = r.get("id")
    r = cx.sf("data", "query", "-q", "SELECT Id FROM PermissionSet WHERE Name = 'Zendesk_Integration'", "-o", "local")
    check(r["totalSize"] == 1, "the permission set is not in the org")


@step("sf project deploy report")
def deploy_report(cx):
    check(cx.deploy_job, "no deploy job from the previous step")
    r = cx.sf("project", "deploy", "report", "--job-id", cx.deploy_job, "-o", "local", cwd=cx.project)
    check(r.get("status") == "Succeeded", f"status {r.get('status')}")


@step("sf project deploy start --metadata-dir")
def deploy_mdapi(cx):
    mdapi = os.path.join(cx.work, "mdapi")
    p = cx.run([SFPROV, "generate", "--template", "classy", "-d", mdapi, "--format", "mdapi"])
    check(p.returncode == 0, f"sfprov generate: {tail(p.stderr)}")
    r = cx.sf("project", "deploy", "start", "--metadata-dir", mdapi, "-o", "local", "--wait", "5")
    check(r.get("success") is True, f"success {r.get('success')} status {r.get('status')}")
    # The same tree as a zip, for jsforce and simple-salesforce.
    cx.mdapi_zip = shutil.make_archive(os.path.join(cx.work, "mdapi"), "zip", mdapi)


@step("sf project retrieve start -m PermissionSet:Zendesk_Integration")
def retrieve_by_name(cx):
    target = os.path.join(cx.project, "force-app", "main", "default", "permissionsets", "Zendesk_Integration.permissionset-meta.xml")
    os.remove(target)
    r = cx.sf("project", "retrieve", "start", "-m", "PermissionSet:Zendesk_Integration", "-o", "local", cwd=cx.project)
    check(os.path.exists(target), f"{target} not written; files {r.get('files')}")


@step("sf project retrieve start -x package.xml (manifest)")
def retrieve_manifest(cx):
    manifest = os.path.join(cx.work, "package.xml")
    with open(manifest, "w") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            "    <types><members>Admin</members><name>Profile</name></types>\n"
            "    <types><members>*</members><name>PermissionSet</name></types>\n"
            "    <version>63.0</version>\n</Package>\n"
        )
    r = cx.sf("project", "retrieve", "start", "-x", manifest, "-o", "local", cwd=cx.project)
    names = {(f.get("type"), f.get("fullName")) for f in r.get("files", [])}
    check(("Profile", "Admin") in names, f"retrieved {sorted(names)}")
    check(("PermissionSet", "Zendesk_Integration") in names, f"retrieved {sorted(names)}")


@step("sf org assign permsetlicense")
def assign_psl(cx):
    # The integration user's license (Salesforce Integration) needs this
    # license before a permission set with object access can be assigned.
    r = cx.sf("org", "assign", "permsetlicense", "-n", "SalesforceAPIIntegrationPsl", "-b", INTEGRATION_USER, "-o", "local")
    check(not r.get("failures"), f"failures {r.get('failures')}")


@step("sf org assign permset")
def assign_permset(cx):
    r = cx.sf("org", "assign", "permset", "-n", "Zendesk_Integration", "-b", INTEGRATION_USER, "-o", "local")
    check(not r.get("failures"), f"failures {r.get('failures')}")
    q = cx.sf(
        "data", "query", "-q",
        "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Zendesk_Integration' "
        f"AND Assignee.Username = '{INTEGRATION_USER}'",
        "-o", "local",
    )
    check(q["totalSize"] == 1, f"{q['totalSize']} assignments")


@step("sf org login jwt")
def login_jwt(cx):
    r = cx.sf(
        "org", "login", "jwt", "--client-id", CLIENT_ID, "--jwt-key-file", cx.jwt_key,
        "--username", ADMIN, "--instance-url", cx.ready["instance_url"], "--alias", "jwt",
    )
    check(r.get("orgId") == cx.ready["org_id"], f"org {r.get('orgId')}")
    r = cx.sf("data", "query", "-q", "SELECT Id FROM Organization", "-o", "jwt")
    check(r["totalSize"] == 1, "query through the JWT session")


@step("sfprov org info --jwt-key-file (the same certificate)")
def sfprov_jwt(cx):
    p = cx.run([
        SFPROV, "org", "info", "--instance-url", cx.ready["instance_url"], "--client-id", CLIENT_ID,
        "--jwt-key-file", cx.jwt_key, "--username", ADMIN, "--json",
    ])
    check(p.returncode == 0, f"exit {p.returncode}: {tail(p.stderr)}")
    doc = json.loads(p.stdout)
    check(cx.ready["org_id"] in p.stdout, f"org info: {tail(p.stdout)}")


# --- jsforce ---------------------------------------------------------------


@step("jsforce: login, query, describe, metadata deploy")
def jsforce(cx):
    out = cx.node(
        "jsforce-client.cjs", cx.tls_ready["instance_url"], ADMIN, ADMIN_PASSWORD, CLIENT_ID, CLIENT_SECRET,
        cx.mdapi_zip,
    )
    check("deploy Succeeded" in out, tail(out))


# --- simple-salesforce -----------------------------------------------------


@step("simple-salesforce: login, query, describe, metadata deploy")
def simple_salesforce(cx):
    p = cx.run([
        sys.executable, os.path.join(HERE, "simple_salesforce_client.py"),
        cx.tls_ready["instance_url"], ADMIN, ADMIN_PASSWORD, CLIENT_ID, CLIENT_SECRET, cx.mdapi_zip,
    ])
    check(p.returncode == 0, tail(p.stderr or p.stdout))
    check("deploy Succeeded" in p.stdout, tail(p.stdout))


def main():
    only = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="sfprov-conformance-")
    cx = Context(work)
    passed = failed = 0
    started = time.monotonic()
    try:
        for name, f in STEPS:
            if only and not any(o in name for o in only) and f is not serve:
                continue
            t = time.monotonic()
            try:
                f(cx)
                passed += 1
                print(f"ok    {name} ({time.monotonic() - t:.1f} s)", flush=True)
            except Exception as e:  # one step's failure must not stop the others
                failed += 1
                reason = str(e) if isinstance(e, Failed) else tail(traceback.format_exc(limit=2), 600)
                print(f"FAIL  {name} ({time.monotonic() - t:.1f} s): {reason}", flush=True)
                if f is serve:
                    break
    finally:
        cx.stop()
    print(f"{passed} passed, {failed} failed ({time.monotonic() - started:.0f} s)")
    if failed or os.environ.get("CONFORMANCE_KEEP"):
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
