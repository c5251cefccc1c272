"""Access-matrix throughput: `podid.matrix.cells.compute` + grouping on a synthetic cluster, next
to the judge alone (`podid.iam.evaluate` on the same requests, built beforehand) as the baseline.

The inventory: IDENTITIES ServiceAccounts, each with the seeds' reader policy for its own prefix
plus an SQS/Secrets Manager policy; one bucket with OBJECTS objects; QUEUES queues and SECRETS
secrets with resource policies. Prints cells, seconds and cells/s for compute, group and the
bare judge, and the matrix's overhead over the judge.

Usage: .venv/bin/python bench/matrix_bench.py [--identities 40] [--objects 200]
"""

from __future__ import annotations

import argparse
import json
import time

from podid.iam import evaluate, parse_policy
from podid.iam.catalogue import Catalogue
from podid.matrix.cells import compute, decide, subject
from podid.matrix.group import rows
from podid.matrix.model import Identity, Inventory, Resource, RolePolicies

ACCT = "111122223333"
BUCKET = "arn:aws:s3:::bench-bucket"
SERVICES = ("s3", "sqs", "secretsmanager")


def inventory(identities: int, objects: int, queues: int = 20, secrets: int = 20) -> Inventory:
    inv = Inventory(cluster="bench", account=ACCT, region="us-east-1")
    for i in range(identities):
        role = f"arn:aws:iam::{ACCT}:role/app-{i}"
        reader = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": BUCKET,
                    "Condition": {"StringLike": {"s3:prefix": f"team-{i % 10}/*"}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"{BUCKET}/team-{i % 10}/*",
                },
            ],
        }
        other = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
                    "Resource": f"arn:aws:sqs:us-east-1:{ACCT}:q-{i % queues}",
                },
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            ],
        }
        inv.identities.append(Identity("bench", f"ns{i}", "sa", role, "pod-identity"))
        inv.roles[role] = RolePolicies(role, (("reader", reader), ("other", other)))
    inv.resources.append(Resource("s3", BUCKET, ACCT))
    inv.resources += [
        Resource("s3", f"{BUCKET}/team-{k % 10}/obj-{k}", ACCT, parent=BUCKET) for k in range(objects)
    ]
    deny = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:PurgeQueue", "Resource": "*"}],
        }
    )
    inv.resources += [
        Resource("sqs", f"arn:aws:sqs:us-east-1:{ACCT}:q-{k}", ACCT, deny, "queue policy")
        for k in range(queues)
    ]
    inv.resources += [
        Resource("secretsmanager", f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:s{k}-AbCdEf", ACCT)
        for k in range(secrets)
    ]
    return inv


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--identities", type=int, default=40)
    parser.add_argument("--objects", type=int, default=200)
    args = parser.parse_args()
    cat = Catalogue.load()
    inv = inventory(args.identities, args.objects)
    compute(inventory(1, 1), SERVICES, catalogue=cat)  # warm the catalogue
    t0 = time.perf_counter()
    cells = compute(inv, SERVICES, catalogue=cat)
    t1 = time.perf_counter()
    folded = rows(cells, {i.key: i.role_arn for i in inv.identities})
    t2 = time.perf_counter()
    # baseline: the judge alone on the same requests and policy sets, built beforehand
    subs = {i.key: subject(inv, i, inv.roles[i.role_arn]) for i in inv.identities}
    by_arn = {r.arn: r for r in inv.resources}
    prepared = []

    rps = {
        r.arn: parse_policy(r.policy, kind="resource", name=r.policy_name) for r in inv.resources if r.policy
    }
    for c in cells:
        res = by_arn.get(c.resource)
        request, policies, _ = decide(
            subs[c.identity], c.action, c.resource, rps.get(c.resource), res.account if res else None
        )
        prepared.append((request, policies))
    t3 = time.perf_counter()
    for request, policies in prepared:
        evaluate(request, policies)
    t4 = time.perf_counter()
    n = len(cells)
    print(
        f"access matrix: {args.identities} identities, {len(inv.resources)} resources, "
        f"{n} cells, {len(folded)} rows"
    )
    print(f"  compute (matrix, judge included): {t1 - t0:7.2f} s  {n / (t1 - t0):10,.0f} cells/s")
    print(f"  group into rows:                  {t2 - t1:7.2f} s  {n / (t2 - t1):10,.0f} cells/s")
    print(f"  baseline, judge alone:            {t4 - t3:7.2f} s  {n / (t4 - t3):10,.0f} decisions/s")
    print(f"  matrix overhead over the judge:   {(t2 - t0) / (t4 - t3):7.2f}x")


if __name__ == "__main__":
    main()
