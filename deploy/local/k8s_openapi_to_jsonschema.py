#!/usr/bin/env python3
"""Turns Kubernetes' OpenAPI v2 spec (api/openapi-spec/swagger.json) into the
per-kind "standalone-strict" JSON schemas kubeconform reads, offline.

It follows what yannh/kubernetes-json-schema publishes (openapi2jsonschema
--kubernetes --strict --stand-alone) so `kubeconform -strict` means here what it
means everywhere: unknown fields are errors, int-or-string and quantities take
either form, optional fields may be null. It must not loosen anything else.

usage: k8s_openapi_to_jsonschema.py swagger.json OUT_DIR
"""

import json
import os
import sys

DRAFT4 = "http://json-schema.org/draft-04/schema#"
REF_PREFIX = "#/definitions/"
# The API server accepts a number where a quantity is expected (`cpu: 1`);
# the spec only says "string".
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def transform(node, nullable=True):
    """Returns a copy of one schema node with the Kubernetes rules applied."""
    if isinstance(node, list):
        return [transform(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "int-or-string":
        return {"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}
    out = {}
    for key, value in node.items():
        if key == "properties":
            required = set(node.get("required", ()))
            out[key] = {name: transform(prop, nullable=name not in required)
                        for name, prop in value.items()}
        elif key.startswith("x-kubernetes-"):
            out[key] = value  # annotations, not schema: copied verbatim
        else:
            out[key] = transform(value)
    # kubectl's strict rule: an object that lists its fields accepts no others.
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    # An optional field sent as null is "unset" to the API server.
    if nullable and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def refs_in(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX):])
        for value in node.values():
            refs_in(value, found)
    elif isinstance(node, list):
        for value in node:
            refs_in(value, found)
    return found


def closure(name, definitions):
    """Every definition reachable from `name` (excluding it)."""
    seen, todo = set(), [name]
    while todo:
        for ref in refs_in(definitions[todo.pop()], set()):
            if ref not in seen and ref != name:
                seen.add(ref)
                todo.append(ref)
    return seen


def file_name(gvk):
    """kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json`."""
    group = gvk.get("group", "")
    suffix = ("-" + group.split(".")[0].lower() if group else "") + "-" + gvk["version"].lower()
    return gvk["kind"].lower() + suffix + ".json"


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(argv[1], encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    definitions = {name: transform(schema) for name, schema in spec["definitions"].items()}
    definitions[QUANTITY] = {"oneOf": [{"type": ["string", "null"]}, {"type": ["number", "null"]}]}

    os.makedirs(argv[2], exist_ok=True)
    written = 0
    for name, schema in sorted(definitions.items()):
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            api_version = (gvk["group"] + "/" if gvk.get("group") else "") + gvk["version"]
            document = dict(schema)
            document["$schema"] = DRAFT4
            properties = dict(document.get("properties", {}))
            # A kind's file names its own apiVersion and kind, as the published
            # schemas do, so a resource cannot pass under another kind's schema.
            for field, value in (("apiVersion", api_version), ("kind", gvk["kind"])):
                if field in properties:
                    properties[field] = dict(properties[field], enum=[value])
            document["properties"] = properties
            document["definitions"] = {ref: definitions[ref]
                                       for ref in sorted(closure(name, definitions))}
            with open(os.path.join(argv[2], file_name(gvk)), "w", encoding="utf-8") as out:
                json.dump(document, out, indent=1, sort_keys=True)
            written += 1
    print(f"{written} kind schemas written")


if __name__ == "__main__":
    main(sys.argv)
