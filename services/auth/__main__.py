"""`python3 -m services.auth`: uvicorn on HTTP_PORT (8000), one worker."""

from services.platform.app import serve

if __name__ == "__main__":
    serve("services.auth.app:app")
