#!/usr/bin/env python3
"""Reference for benches/diff.rs: a keyed semantic diff of two profiles in
Python with lxml, the way a careful admin script would do it (entries matched
by key, order ignored, absent flags read as false). Prints one line per
changed entry and the count; sfprov's `diff` must agree on the count."""
import sys
from lxml import etree

NS = "{http://soap.sforce.com/2006/04/metadata}"
KEYS = {
    "fieldPermissions": "field",
    "objectPermissions": "object",
    "userPermissions": "name",
    "classAccesses": "apexClass",
    "pageAccesses": "apexPage",
}


def entries(path):
    out = {}
    root = etree.parse(path).getroot()
    for child in root:
        tag = child.tag.replace(NS, "")
        key = KEYS.get(tag)
        if key is None:
            continue
        values = {c.tag.replace(NS, ""): (c.text or "") for c in child}
        k = values.pop(key, "")
        if all(v == "false" for v in values.values()):
            continue  # grants nothing: the same as no entry
        out[(tag, k)] = values
    return out


def main():
    old, new = entries(sys.argv[1]), entries(sys.argv[2])
    changed = 0
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, {}), new.get(k, {})
        names = set(a) | set(b)
        if any(a.get(n, "false") != b.get(n, "false") for n in names):
            changed += 1
    print(changed)


if __name__ == "__main__":
    main()
