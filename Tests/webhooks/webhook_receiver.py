#!/usr/bin/env python3
"""A webhook receiver for the notify worker's tests and benchmark: HTTP/1.1 on loopback (asyncio, keep-alive), one
behaviour per path, every request verified as Standard Webhooks says with an implementation independent of Xiecha's
(Python's hmac, hashlib, base64) and written as one JSON line to --log.

  webhook_receiver.py --log FILE [--port-file FILE] [--route PATH=MODE]... [--secret PATH=SECRET]... [--body]
                      [--control FILE]

MODE: ok (200) | fail (500) | gone (410) | hang (never answers) | flaky:N (500 for the first N requests of each
webhook-id, then 200) | random:P:SEED (500 with probability P, else 200).
POST /_control {"path": PATH, "mode": MODE} changes a path's mode while it runs, and so does writing
{PATH: MODE, ...} to the --control file (read again whenever it changes). Unknown paths answer 404.
Each log line: {"path", "id", "timestamp", "valid", "status", "sha256", "at"} (+ "body" with --body).
"""
import argparse, asyncio, base64, hashlib, hmac, json, os, random, sys, time


def key_of(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def expected_signature(key, msg_id, timestamp, body):
    mac = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


class Receiver:
    def __init__(self, args):
        self.modes = dict(r.split("=", 1) for r in args.route)
        self.keys = {p: key_of(s) for p, s in (x.split("=", 1) for x in args.secret)}
        self.seen = {}
        self.randoms = {}
        self.log = open(args.log, "a", buffering=1)
        self.with_body = args.body
        self.control = args.control
        self.control_stamp = None

    def read_control(self):
        if not self.control:
            return
        try:
            stamp = os.stat(self.control).st_mtime_ns
        except FileNotFoundError:
            return
        if stamp != self.control_stamp:
            self.control_stamp = stamp
            with open(self.control) as f:
                self.modes.update(json.load(f))

    def status_for(self, path, msg_id):
        mode = self.modes.get(path)
        if mode is None:
            return 404
        if mode == "ok":
            return 200
        if mode == "fail":
            return 500
        if mode == "gone":
            return 410
        if mode == "hang":
            return None
        if mode.startswith("flaky:"):
            n = int(mode.split(":")[1])
            count = self.seen.get((path, msg_id), 0)
            self.seen[(path, msg_id)] = count + 1
            return 500 if count < n else 200
        if mode.startswith("random:"):
            _, p, seed = mode.split(":")
            rng = self.randoms.setdefault(path, random.Random(int(seed)))
            return 500 if rng.random() < float(p) else 200
        return 500

    def verify(self, path, headers, body):
        key = self.keys.get(path)
        msg_id, ts, sig = headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""), headers.get("webhook-signature", "")
        if key is None or not msg_id or not ts.isdigit():
            return False
        if abs(time.time() - int(ts)) > 300:  # Standard Webhooks' replay tolerance
            return False
        want = expected_signature(key, msg_id, ts, body)
        return any(hmac.compare_digest(want, s) for s in sig.split(" "))

    async def handle(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, v = h.decode("latin-1").split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                path = target.split("?")[0]
                if path == "/_control" and method == "POST":
                    c = json.loads(body)
                    self.modes[c["path"]] = c["mode"]
                    if "secret" in c:
                        self.keys[c["path"]] = key_of(c["secret"])
                    status = 200
                else:
                    self.read_control()
                    msg_id = headers.get("webhook-id", "")
                    status = self.status_for(path, msg_id)
                    entry = {"path": path, "id": msg_id, "timestamp": headers.get("webhook-timestamp"),
                             "valid": self.verify(path, headers, body), "status": status,
                             "sha256": hashlib.sha256(body).hexdigest(), "at": time.time()}
                    if self.with_body:
                        entry["body"] = body.decode("utf-8", "replace")
                    self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    if status is None:
                        await asyncio.sleep(3600)
                        return
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok" % status)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--route", action="append", default=[])
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--body", action="store_true")
    ap.add_argument("--control")
    args = ap.parse_args()
    receiver = Receiver(args)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
