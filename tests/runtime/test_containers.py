"""Docker's port errors become PortInUse naming the variable to change."""

from sandbox.runtime.containers import port_in_use
from sandbox.topology import Port, Service

GATEWAY = Service(
    "gateway", "img", ports=(Port("127.0.0.1", 8080, 8080, "tcp", "SANDBOX_GATEWAY_PORT"),)
)


def test_allocated_port_names_the_variable():
    err = port_in_use(
        GATEWAY,
        "driver failed programming external connectivity on endpoint x: "
        "Bind for 127.0.0.1:8080 failed: port is already allocated",
    )
    line = err.one_line()
    assert "127.0.0.1:8080" in line and "set SANDBOX_GATEWAY_PORT=NNNN" in line
    assert "\n" not in line


def test_host_process_port_without_variable_names_the_compose_key():
    service = Service("db", "img", ports=(Port("127.0.0.1", 5432, 5432),))
    err = port_in_use(service, "listen tcp4 127.0.0.1:5432: bind: address already in use")
    assert "services.db.ports" in err.fix
