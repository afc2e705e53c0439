"""A local SMTP sink for the bench: accepts every message on 127.0.0.1 and counts it.

    python smtp_sink.py PORT COUNTFILE

Each accepted message adds a line to COUNTFILE, so `wc -l COUNTFILE` says how many were
delivered. Runs until killed. Needs aiosmtpd (installed by compare.sh into its venv).
"""

import asyncio
import sys

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        self.out.write("1\n")
        return "250 OK"


def main():
    port = int(sys.argv[1])
    controller = Controller(Counter(sys.argv[2]), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
