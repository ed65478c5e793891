import pytest

from leaklab.taxonomy import VOCABULARY, normalize_type


@pytest.mark.parametrize(
    "rule, name, expected",
    [
        ("aws-access-token", "AWS", "aws-access-key"),
        ("AWS", None, "aws-access-key"),
        ("np.aws.6", "AWS API Credentials", "aws-access-key"),
        ("AWS Secret Access Key", None, "aws-secret-key"),
        ("github-pat", None, "github-token"),
        ("github_personal_access_token", "GitHub Personal Access Token", "github-token"),
        ("Github", None, "github-token"),
        ("slack-webhook-url", None, "slack-webhook"),
        ("SlackWebhook", None, "slack-webhook"),
        ("np.slack.3", "Slack Webhook", "slack-webhook"),
        ("slack-bot-token", None, "slack-token"),
        ("stripe-access-token", None, "stripe-key"),
        ("Stripe Access Key", None, "stripe-key"),
        ("private-key", None, "private-key"),
        ("PrivateKey", None, "private-key"),
        ("RSA private key", None, "private-key"),
        ("np.pem.1", "PEM-Encoded Private Key", "private-key"),
        ("Secret Keyword", None, "password"),
        ("URI", None, "connection-string"),
        ("Password in URL", None, "connection-string"),
        ("generic-api-key", None, "generic-api-key"),
        ("High Entropy", None, "generic-api-key"),
        ("pypi-upload-token", None, "pypi-token"),
        ("weird-thing", None, "other"),
        ("gcp-api-key", "GCP API key", "google-api-key"),
        ("GCP", None, "google-service-account"),
        ("gcp-service-account", None, "google-service-account"),
        ("amazon-mws-auth-token", None, "other"),
        ("aws_secret_access_key", None, "aws-secret-key"),
    ],
)
def test_normalize(rule, name, expected):
    assert normalize_type(rule, name) == expected
    assert expected in VOCABULARY
