# Host keys are made at container start (entrypoint.sh), never baked into the image.
rm -f /etc/ssh/ssh_host_*
