"""`python3 -m services.webhooks`: the HTTP API on port 8000."""

from services.platform.app import serve

if __name__ == "__main__":
    serve("services.webhooks.app:app")
