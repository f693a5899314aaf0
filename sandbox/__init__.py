"""sandbox: the whole microservice system in containers on one machine, and a pytest harness.

Public API::

    from sandbox import Sandbox
    sb = Sandbox.up(env="dev")
    print(sb.url("gateway"))
    sb.down()
"""

__version__ = "0.1.0"
