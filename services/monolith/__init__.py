"""monolith (legacy): customers and orders on Flask/gunicorn, with an SSH server and a worker."""
