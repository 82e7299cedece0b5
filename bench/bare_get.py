"""The network's own cost: one bare httpx GET of an order on a fresh connection.

Prints the seconds from opening the connection to the whole answer (the TLS handshake, then
the request), after httpx is imported and the trusted CAs are loaded, so that the difference
between two paths is what the network adds and nothing else.

    python bench/bare_get.py URL [CA_FILE]
"""

import ssl
import sys
import time

import httpx

if __name__ == "__main__":
    url = sys.argv[1]
    context = ssl.create_default_context(cafile=sys.argv[2] if len(sys.argv) > 2 else None)
    with httpx.Client(verify=context, headers={"Authorization": "Bearer sandbox"}) as client:
        started = time.perf_counter()
        client.get(url).raise_for_status()
        print(f"{time.perf_counter() - started:.6f}")
