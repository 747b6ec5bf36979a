"""simple-salesforce against the emulator (over HTTPS: the library builds
https:// URLs only): a login, a SOQL query, a describe and a Metadata API deploy.

simple-salesforce's own login helpers only reach *.salesforce.com, so the
login is the OAuth 2.0 username-password flow against the emulator, and the
session is handed to `Salesforce(instance_url=…, session_id=…)`, the
library's documented way to use an existing session.
"""

import sys
import time

import requests
from simple_salesforce import Salesforce


def main(instance_url, username, password, client_id, client_secret, zip_path):
    token = requests.post(
        f"{instance_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
        },
        timeout=30,
    )
    token.raise_for_status()
    session = token.json()
    sf = Salesforce(
        instance_url=session["instance_url"], session_id=session["access_token"], version="63.0"
    )
    lines = [f"login {session['instance_url']}"]

    q = sf.query(f"SELECT Id, Username FROM User WHERE Username = '{username}'")
    assert q["totalSize"] == 1 and q["records"][0]["Username"] == username, q
    lines.append(f"query {q['totalSize']}")

    d = sf.User.describe()
    assert any(f["name"] == "Username" for f in d["fields"]), "describe: no Username field"
    lines.append(f"describe {d['name']} {len(d['fields'])} fields")

    job = sf.deploy(zip_path, sandbox=False)
    job_id = job["asyncId"] if isinstance(job, dict) else job
    for _ in range(60):
        status = sf.checkDeployStatus(job_id)
        if status.get("state") in ("Succeeded", "Failed", "SucceededPartial", "Canceled"):
            break
        time.sleep(0.5)
    assert status.get("state") == "Succeeded", status
    lines.append(f"deploy {status['state']}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
