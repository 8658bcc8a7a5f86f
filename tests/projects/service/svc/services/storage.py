"""Avatar storage on S3 through the synchronous boto3 SDK (signing a URL needs no network)."""

from __future__ import annotations

import boto3

s3 = boto3.client(
    "s3",
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
BUCKET = "svc-avatars"
