"""Prepare a running moto server for signature-checking tests.

Creates an IAM user with an access key and an allow-all inline policy, and a role that user
may assume, then switches moto's request authentication on (POST /moto-api/reset-auth with 0):
from then on moto checks SigV4 signatures and session tokens for that user's keys.

Usage: python moto_iam.py ENDPOINT   (prints the keys and the role ARN as JSON)
Run by the integration-test harness with the Python of scripts/test.
"""

import json
import sys
import urllib.request

import boto3

ALLOW_ALL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:*"], "Resource": "*"}],
    }
)
TRUST_ANYONE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def main(endpoint: str) -> None:
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="connector-test")
    iam.put_user_policy(
        UserName="connector-test", PolicyName="allow-all", PolicyDocument=ALLOW_ALL
    )
    key = iam.create_access_key(UserName="connector-test")["AccessKey"]
    role = iam.create_role(RoleName="connector-role", AssumeRolePolicyDocument=TRUST_ANYONE)
    iam.put_role_policy(
        RoleName="connector-role", PolicyName="allow-all", PolicyDocument=ALLOW_ALL
    )
    request = urllib.request.Request(
        endpoint + "/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request).read()
    print(
        json.dumps(
            {
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
                "role_arn": role["Role"]["Arn"],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
