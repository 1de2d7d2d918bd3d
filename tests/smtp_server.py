"""A tiny SMTP server on loopback for the mail fault test: it either refuses every message
(`refuse=True`: 554 on the greeting's follow-up, as a server rejecting relaying or out of
service does) or accepts them and keeps what it received."""

from __future__ import annotations

import socket
import threading


class SmtpServer:
    def __init__(self, *, refuse: bool):
        self.refuse = refuse
        self.messages: list[bytes] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")

        def reply(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        try:
            reply("220 test.local ESMTP")
            while line := reader.readline():
                command = line.decode(errors="replace").strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    reply("250 test.local")
                elif command.startswith("MAIL FROM"):
                    reply("554 5.7.1 Service unavailable; sending refused" if self.refuse else "250 OK")
                elif command.startswith("RCPT TO"):
                    reply("250 OK")
                elif command == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data += chunk
                    self.messages.append(data)
                    reply("250 OK queued")
                elif command == "RSET" or command == "NOOP":
                    reply("250 OK")
                elif command == "QUIT":
                    reply("221 Bye")
                    break
                else:
                    reply("502 Command not implemented")
        except OSError:
            pass
        finally:
            conn.close()
