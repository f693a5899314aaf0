from pathlib import Path

from sandbox.runtime.ssh import ssh_command


def test_bastion_is_reached_on_its_host_port():
    argv = ssh_command(Path("/k"), Path("/kh"), bastion_port=2200, target="bastion", command=[])
    assert argv[0] == "ssh" and argv[-3:] == ["-p", "2200", "sandbox@127.0.0.1"]
    assert "IdentitiesOnly=yes" in argv and "UserKnownHostsFile=/kh" in argv


def test_a_service_is_reached_through_the_bastion():
    argv = ssh_command(Path("/k"), Path("/kh"), bastion_port=2200, target="monolith",
                       command=["uname", "-a"])
    proxy = next(a for a in argv if a.startswith("ProxyCommand="))
    assert "-p 2200 -W %h:%p sandbox@127.0.0.1" in proxy and "-i /k" in proxy
    assert argv[-4:] == ["sandbox@monolith", "--", "uname", "-a"]
