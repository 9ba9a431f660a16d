"""Python requests (Debian python3-requests) in the benchmark: one Session (a pooled keep-alive connection),
r.json() for each body; for the concurrent case a ThreadPoolExecutor of CONCURRENCY workers, a Session each.
    python3 bench/peer.py get URL N [CA_FILE]
    python3 bench/peer.py batch URL_PREFIX N CONCURRENCY
Prints "RESULT <milliseconds> <peak RSS in KiB> <bytes received>"."""
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def main():
    mode, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    extra = sys.argv[4] if len(sys.argv) > 4 else ""
    headers = {"Accept": "application/json", "Authorization": "Bearer bench-token"}
    start = time.perf_counter()
    total = 0
    if mode == "get":
        session = requests.Session()
        verify = extra or True
        for _ in range(n):
            r = session.get(url, headers=headers, verify=verify)
            r.raise_for_status()
            data = r.json()
            assert isinstance(data, list)
            total += len(r.content)
    elif mode == "batch":
        local = threading.local()

        def fetch(i):
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = requests.Session()
            r = session.get(url + str(i), headers=headers)
            r.raise_for_status()
            data = r.json()
            assert isinstance(data, dict)
            return len(r.content)

        with ThreadPoolExecutor(max_workers=int(extra)) as pool:
            total = sum(pool.map(fetch, range(1, n + 1)))
    else:
        sys.exit("unknown mode " + mode)
    elapsed = (time.perf_counter() - start) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("RESULT %.3f %d %d" % (elapsed, peak, total))


main()
