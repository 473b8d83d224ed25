"""AWS Secrets Manager through boto3: region, credentials and endpoint come from the usual AWS
settings (AWS_REGION, IAM roles for service accounts, AWS_ENDPOINT_URL ...)."""

from __future__ import annotations

import json
from typing import Any


class SecretsError(RuntimeError):
    """A secret cannot be read or is not what the collector expects."""


def read_secret(name: str, client: Any = None) -> dict[str, Any]:
    """Return the JSON object stored in the secret `name`."""
    import boto3  # noqa: PLC0415 (slow import; only needed when secrets are configured)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        client = client or boto3.client("secretsmanager")
        value = client.get_secret_value(SecretId=name).get("SecretString")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        hint = {
            "ResourceNotFoundException": "it does not exist in this region; create it or set "
            "OURA_SECRET_NAME / POSTGRES_SECRET_NAME (empty to skip it)",
            "AccessDeniedException": "the role lacks secretsmanager:GetSecretValue on it",
        }.get(code, "check its name, the region and the credentials")
        raise SecretsError(f"Cannot read the AWS secret {name!r} ({code}): {hint}.") from None
    except BotoCoreError as exc:
        msg = f"Cannot read the AWS secret {name!r}: {exc}. Set AWS_REGION (or "
        msg += "SECRETS_BACKEND=none to use environment variables only)."
        raise SecretsError(msg) from None
    try:
        data = json.loads(value or "")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SecretsError(f"The AWS secret {name!r} must hold a JSON object.")
    return data
