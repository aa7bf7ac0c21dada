"""Outside channels of the notification service: webhook (HTTP POST, HMAC-signed) and
e-mail (SMTP). In-app is the ``rm_notifications`` read model, not a sender."""
