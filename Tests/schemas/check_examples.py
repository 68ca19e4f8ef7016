#!/usr/bin/env python3
"""Checks schemas/examples against schemas/<topic>.schema.json (JSON Schema 2020-12).

Every valid example must pass. Every invalid example whose `<name>.schema` file says
`reject` must fail; one that says `accept` (a rule JSON Schema cannot express, such as an
ID checksum) must pass, so the schema is not stricter than documented. Run from anywhere:

    python3 Tests/schemas/check_examples.py

Exits 1 on any mismatch. Needs `jsonschema` (pip install jsonschema; date-time checking
also uses rfc3339-validator when installed).
"""
import json
import pathlib
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover
    sys.exit("check_examples.py: the 'jsonschema' package is required (pip install jsonschema)")

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


def errors_for(validator, path):
    try:
        with open(path, encoding="utf-8") as f:
            instance = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        return [f"not JSON: {e.__class__.__name__}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(instance)]


def main():
    failures = []
    counts = {}
    schema_files = sorted(SCHEMAS.glob("*.schema.json"))
    if not schema_files:
        sys.exit(f"no schemas under {SCHEMAS}")
    for schema_path in schema_files:
        topic = schema_path.name[: -len(".schema.json")]
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        examples = SCHEMAS / "examples" / topic
        valid = sorted((examples / "valid").glob("*.json"))
        invalid = sorted((examples / "invalid").glob("*.json"))
        if len(valid) < 5 or len(invalid) < 5:
            failures.append(f"{topic}: needs at least 5 valid and 5 invalid examples ({len(valid)}/{len(invalid)})")
        for path in valid:
            errs = errors_for(validator, path)
            if errs:
                failures.append(f"{topic}/valid/{path.name}: rejected: {errs[0]}")
        rejected = accepted = 0
        for path in invalid:
            expectation_file = path.with_suffix(".schema")
            reason_file = path.with_suffix(".reason")
            if not reason_file.exists() or not reason_file.read_text(encoding="utf-8").strip():
                failures.append(f"{topic}/invalid/{path.name}: missing {reason_file.name}")
            expectation = expectation_file.read_text(encoding="utf-8").strip() if expectation_file.exists() else ""
            if expectation not in ("reject", "accept"):
                failures.append(f"{topic}/invalid/{path.name}: {expectation_file.name} must say reject or accept")
                continue
            errs = errors_for(validator, path)
            if expectation == "reject":
                rejected += 1
                if not errs:
                    failures.append(f"{topic}/invalid/{path.name}: expected the schema to reject it, but it passed")
            else:
                accepted += 1
                if errs:
                    failures.append(
                        f"{topic}/invalid/{path.name}: marked accept (semantic-only), but the schema rejects it: {errs[0]}"
                    )
        counts[topic] = (len(valid), rejected, accepted)

    width = max(len(t) for t in counts)
    print(f"{'topic'.ljust(width)}  valid  reject  accept(semantic)")
    for topic, (v, r, a) in counts.items():
        print(f"{topic.ljust(width)}  {v:5d}  {r:6d}  {a:6d}")
    if failures:
        print(f"\n{len(failures)} mismatch(es):", file=sys.stderr)
        for line in failures:
            print("  " + line, file=sys.stderr)
        return 1
    total = sum(v + r + a for v, r, a in counts.values())
    print(f"\nOK: {total} examples in {len(counts)} topics match their schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
