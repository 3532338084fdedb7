"""Network guard, loaded at start-up by every Python process the test suite spawns.

The test suite puts this folder on ``PYTHONPATH`` and names a log file in
``MLCHECKUP_NETGUARD_LOG``. Any attempt, in any process (notebook kernels, nbgrader, the
inference server and its workers), to resolve or connect to an address beyond the loopback
interface is refused and written to that log; the test session then fails (see conftest.py).
"""

import os

if os.environ.get("MLCHECKUP_NETGUARD_LOG"):
    import ipaddress
    import socket
    import traceback

    _LOG = os.environ["MLCHECKUP_NETGUARD_LOG"]
    _LOCAL_NAMES = {None, "", "localhost", "localhost.localdomain", "ip6-localhost"}
    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex

    def _is_local(host) -> bool:
        if isinstance(host, bytes):
            host = host.decode()
        if host in _LOCAL_NAMES:
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _refuse(what: str) -> None:
        stack = "".join(traceback.format_stack(limit=8)[:-2])
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {what}\n{stack}\n")
        raise OSError(f"network guard: {what} refused (only 127.0.0.1 is allowed in tests)")

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            _refuse(f"resolve {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    def _check(sock, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(f"connect to {address!r}")

    def connect(self, address):
        _check(self, address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return _connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
