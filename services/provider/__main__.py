"""`python3 -m services.provider`: the provider's HTTP API on port 8000."""

from services.platform.app import serve

if __name__ == "__main__":
    serve("services.provider.app:app")
