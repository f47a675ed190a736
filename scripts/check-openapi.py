#!/usr/bin/env python3
"""Structural check of docs/openapi.yaml (standard library plus PyYAML).

Verifies: the file is valid YAML without duplicate keys, `openapi` is 3.0.x, every `$ref`
resolves inside the document, every operation has a `summary` and `responses`, every `{param}`
of a path template is declared as an `in: path` parameter (path or operation level, directly or
through a $ref) and every declared path parameter appears in its template, and operationIds are
unique.

Usage: python3 scripts/check-openapi.py [path/to/openapi.yaml]
Prints `openapi: ok (<n> paths, <m> operations)` and exits 0, or `openapi: FAILED (<reasons>)`
and exits 1. Without PyYAML it prints `openapi: skipped (PyYAML missing)` and exits 77.
"""

import os
import re
import sys

try:
    import yaml
except ImportError:
    print("openapi: skipped (PyYAML missing)")
    sys.exit(77)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue  # the default constructor reports unhashable keys itself
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "duplicate key %r (first at line %d)" % (key, seen[key].line + 1),
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def resolve_pointer(doc, ref):
    """The node a local `#/a/b` reference points to; raises KeyError when it does not exist."""
    if ref == "#":
        return doc
    if not ref.startswith("#/"):
        raise KeyError("not a reference inside the document")
    node = doc
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError("no %r" % part)
    return node


def walk_refs(node, where, found):
    """Collects (location, ref) for every `$ref` in the tree."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            found.append((where, ref))
        for key, value in node.items():
            walk_refs(value, "%s/%s" % (where, key), found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            walk_refs(value, "%s/%d" % (where, i), found)


def deref(doc, node, limit=20):
    """Follows `$ref` chains; returns None when a reference does not resolve."""
    for _ in range(limit):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        try:
            node = resolve_pointer(doc, node["$ref"])
        except KeyError:
            return None
    return None


def path_params(doc, params):
    """Names of the `in: path` parameters of a parameter list (refs followed)."""
    names = set()
    if not isinstance(params, list):
        return names
    for p in params:
        p = deref(doc, p)
        if isinstance(p, dict) and p.get("in") == "path" and isinstance(p.get("name"), str):
            names.add(p["name"])
    return names


def check(doc):
    problems = []
    if not isinstance(doc, dict):
        return ["the document is not a mapping"], 0, 0

    version = doc.get("openapi")
    if not (isinstance(version, str) and re.fullmatch(r"3\.0\.\d+", version)):
        problems.append("openapi is %r, expected 3.0.x" % (version,))

    refs = []
    walk_refs(doc, "#", refs)
    for where, ref in refs:
        if not isinstance(ref, str):
            problems.append("%s: $ref is not a string" % where)
            continue
        try:
            resolve_pointer(doc, ref)
        except KeyError as e:
            problems.append("%s: $ref %s does not resolve (%s)" % (where, ref, e.args[0]))

    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        problems.append("paths is missing or empty")
        return problems, 0, 0

    operations = 0
    operation_ids = {}
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            problems.append("path %r does not start with /" % (path,))
        item = deref(doc, item)
        if not isinstance(item, dict):
            problems.append("%s: path item is not a mapping" % path)
            continue
        template = set(TEMPLATE_PARAM.findall(path)) if isinstance(path, str) else set()
        shared = path_params(doc, item.get("parameters"))
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            operations += 1
            label = "%s %s" % (method.upper(), path)
            if not isinstance(op, dict):
                problems.append("%s: operation is not a mapping" % label)
                continue
            summary = op.get("summary")
            if not (isinstance(summary, str) and summary.strip()):
                problems.append("%s: no summary" % label)
            responses = op.get("responses")
            if not (isinstance(responses, dict) and responses):
                problems.append("%s: no responses" % label)
            declared = shared | path_params(doc, op.get("parameters"))
            for name in sorted(template - declared):
                problems.append("%s: path parameter {%s} is not declared" % (label, name))
            for name in sorted(declared - template):
                problems.append("%s: path parameter %s is not in the path" % (label, name))
            op_id = op.get("operationId")
            if op_id is not None:
                if op_id in operation_ids:
                    problems.append(
                        "%s: operationId %s also used by %s" % (label, op_id, operation_ids[op_id])
                    )
                else:
                    operation_ids[op_id] = label
    return problems, len(paths), operations


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = argv[1] if len(argv) > 1 else os.path.join(root, "docs", "openapi.yaml")
    try:
        with open(target, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=UniqueKeyLoader)
    except OSError as e:
        print("openapi: FAILED (cannot read %s: %s)" % (target, e.strerror))
        return 1
    except yaml.YAMLError as e:
        print("openapi: FAILED (invalid YAML: %s)" % " ".join(str(e).split()))
        return 1
    problems, n_paths, n_ops = check(doc)
    if problems:
        print("openapi: FAILED (%s)" % "; ".join(problems))
        return 1
    print("openapi: ok (%d paths, %d operations)" % (n_paths, n_ops))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
