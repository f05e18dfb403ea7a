"""Known loopback traffic for tests that need some, not exact counts."""
import socket
import threading


def loopback_traffic(nbytes=200000):
    """One IPv4 connection carrying nbytes each way."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve():
        c, _ = srv.accept()
        got = 0
        while got < nbytes:
            got += len(c.recv(65536))
        c.sendall(b"y" * nbytes)
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    c = socket.create_connection(srv.getsockname())
    c.sendall(b"x" * nbytes)
    got = 0
    while got < nbytes:
        got += len(c.recv(65536))
    c.close()
    t.join()
    srv.close()
