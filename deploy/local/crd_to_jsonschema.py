#!/usr/bin/env python3
"""Turns CustomResourceDefinitions (YAML) into the strict per-kind JSON schemas
kubeconform reads offline, as datreeio/CRDs-catalog's openapi2jsonschema does:
each served version's openAPIV3Schema, with unknown fields refused wherever
the CRD lists properties and does not itself keep unknown fields
(x-kubernetes-preserve-unknown-fields), and int-or-string taking either form.
The chart's ServiceMonitor and PrometheusRule are checked against the
Prometheus Operator's own CRDs this way (deploy/local/go-tools.sh crd-schemas).

usage: crd_to_jsonschema.py OUT_DIR CRD.yaml...
       writes OUT_DIR/<group>/<kind>_<version>.json (kind in lower case)
"""

import json
import os
import sys

import yaml


def strict(node):
    """A copy of one schema node with additionalProperties: false added where the CRD lists properties."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if "properties" in out and "additionalProperties" not in out and \
            not out.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def main(out_dir, paths):
    written = 0
    for path in paths:
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"].lower()
                for version in crd["spec"]["versions"]:
                    if not version.get("served", True):
                        continue
                    schema = strict(version["schema"]["openAPIV3Schema"])
                    schema["$schema"] = "http://json-schema.org/draft-04/schema#"
                    os.makedirs(os.path.join(out_dir, group), exist_ok=True)
                    with open(os.path.join(out_dir, group, f"{kind}_{version['name']}.json"), "w") as out:
                        json.dump(schema, out, indent=1, sort_keys=True)
                    written += 1
    if written == 0:
        sys.exit("crd_to_jsonschema: no CustomResourceDefinition found")
    print(f"crd_to_jsonschema: {written} schemas in {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
