"""`python3 -m services.payments`: the HTTP API on port 8000."""

from services.platform.app import serve

if __name__ == "__main__":
    serve("services.payments.app:app")
