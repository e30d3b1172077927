"""Fails when template.yaml grants a data action on every resource ("*").

Each function's policy must name the table and the secret prefix. The only actions
allowed on "*" are those AWS gives no resource-level permissions, listed below with the
reason. Usage: python infra/check-iam.py [template.yaml]
"""

import sys

import yaml

# Actions for which IAM accepts only "*" as the resource (AWS Service Authorization
# Reference, Secrets Manager: ListSecrets and GetRandomPassword have no resource types).
ALLOWED_ON_ANY_RESOURCE = {"secretsmanager:ListSecrets", "secretsmanager:GetRandomPassword"}
DATA_SERVICES = ("dynamodb:", "secretsmanager:", "kms:")


class CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as plain values."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CloudFormationLoader.add_multi_constructor("!", _any_tag)


def as_list(value):
    return value if isinstance(value, list) else [value]


def statements(value):
    """Yields every dict with an Action key below value, through !If branches too."""
    if isinstance(value, dict):
        if "Action" in value:
            yield value
        for child in value.values():
            yield from statements(child)
    elif isinstance(value, list):
        for child in value:
            yield from statements(child)


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(path, encoding="utf-8") as handle:
        template = yaml.load(handle, Loader=CloudFormationLoader)

    problems = []
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {}) or {}
        for statement in statements(properties.get("Policies", [])):
            actions = [str(action) for action in as_list(statement["Action"])]
            resources = as_list(statement.get("Resource", []))
            wildcard_actions = [a for a in actions if a.startswith(DATA_SERVICES) and "*" in a]
            if wildcard_actions:
                problems.append(f"{name}: wildcard data actions {wildcard_actions}")
            if "*" in resources:
                data_actions = [a for a in actions if a.startswith(DATA_SERVICES)]
                not_allowed = [a for a in data_actions if a not in ALLOWED_ON_ANY_RESOURCE]
                if not_allowed:
                    problems.append(f'{name}: {not_allowed} granted on Resource "*"')

    for problem in problems:
        print(f"check-iam: {problem}", file=sys.stderr)
    if problems:
        print("check-iam: scope each data action to the table or the secret prefix", file=sys.stderr)
        return 1
    print(f"check-iam: no data action on every resource in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
