# Host keys are made at container start (ssh-keygen -A), never baked into the image.
rm -f /etc/ssh/ssh_host_*
