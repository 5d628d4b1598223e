"""Email through Amazon SES (API v1 ``SendEmail``: a text and an HTML part, UTF-8), from the
platform's verified sender identity. Templates are rendered by the platform (commerce.notifications)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from commerce.adapters.aws import client
from commerce.notifications.models import Email

CHARSET = "UTF-8"


class EmailNotSent(Exception):
    """SES refused the email. Only its error code and request id are kept: SES messages can name
    the recipient's address, which must stay out of logs."""


class SesMailer:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, email: Email) -> str:
        """The SES message id. Raises EmailNotSent (or botocore's connection errors)."""
        try:
            response = client("ses").send_email(
                Source=self._sender,
                Destination={"ToAddresses": [email.to]},
                Message={
                    "Subject": {"Data": email.subject, "Charset": CHARSET},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": CHARSET},
                        "Html": {"Data": email.html, "Charset": CHARSET},
                    },
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            request_id = error.response.get("ResponseMetadata", {}).get("RequestId", "")
            raise EmailNotSent(f"SES refused the email: {code} (request {request_id})") from None
        return str(response["MessageId"])
