#!/usr/bin/env python3
"""A scripted MongoDB replica set member for tests/mongo_rs.rs (no mongod can run here).

It speaks the wire protocol through mockupdb (MongoDB's own test server, PyPI)
and answers like a MongoDB 5.0 secondary of the set in the status document:

  hello / isMaster     a replica set member's reply (setName, hosts, secondary,
                       maxWireVersion 13 = MongoDB 5.0, saslSupportedMechs)
  replSetGetStatus     the --status document (Extended JSON file)
  replSetGetConfig     the --config document, or an Unauthorized error without one
  saslStart            "Authentication failed." (code 18) in --scenario auth-fail
  anything else        a CommandNotFound error

With --tls it serves TLS (mockupdb's bundled self-signed certificate, CN=server).

Scenarios: ok (default), auth-fail, hang-status (replSetGetStatus is never
answered), hang-config (replSetGetConfig is never answered), silent (a TCP listener that accepts and never answers anything),
standalone (a mongod started without --replSet: no setName, and
replSetGetStatus fails with NoReplicationEnabled).

It listens on a free port of 127.0.0.1 picked by the system, prints
"PORT <n>" on stdout, appends each command name it receives to --log, and
stops when its standard input closes (the test's guard drops it) or on SIGTERM.
"""

import argparse
import socket
import sys
import threading

from bson import json_util


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--status", help="replSetGetStatus reply (Extended JSON)")
    parser.add_argument("--config", help="replSetGetConfig reply (Extended JSON)")
    parser.add_argument("--scenario", default="ok",
                        choices=["ok", "auth-fail", "hang-status", "hang-config", "silent",
                                 "standalone"])
    parser.add_argument("--log", help="file to append received command names to")
    parser.add_argument("--tls", action="store_true",
                        help="serve TLS with mockupdb's bundled self-signed certificate")
    args = parser.parse_args()

    if args.scenario == "silent":
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        print("PORT %d" % listener.getsockname()[1], flush=True)
        sys.stdin.read()
        return

    import mockupdb
    from mockupdb import MockupDB

    if args.tls:
        # mockupdb wraps its listening socket with ssl.wrap_socket, which newer
        # Pythons lack: give it the same through an SSLContext.
        import ssl

        class _Ssl:
            @staticmethod
            def wrap_socket(sock, certfile, server_side):
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(certfile)
                return context.wrap_socket(sock, server_side=server_side)

        mockupdb._ssl = _Ssl

    def load(path):
        with open(path) as f:
            return json_util.loads(f.read())

    status = load(args.status) if args.status else None
    config = load(args.config) if args.config else None
    log_lock = threading.Lock()

    def log(name):
        if args.log:
            with log_lock, open(args.log, "a") as f:
                f.write(name + "\n")

    def hello_reply(request):
        me = "127.0.0.1:%d" % port
        members = [m["name"] for m in status["members"]] if status else [me]
        primary = next((m["name"] for m in (status or {}).get("members", [])
                        if m.get("stateStr") == "PRIMARY"), None)
        reply = {
            "hosts": members,
            "setName": (status or {}).get("set", "sre_location"),
            "setVersion": 1,
            "ismaster": False,
            "isWritablePrimary": False,
            "secondary": True,
            "me": me,
            "maxBsonObjectSize": 16777216,
            "maxMessageSizeBytes": 48000000,
            "maxWriteBatchSize": 100000,
            "logicalSessionTimeoutMinutes": 30,
            "connectionId": 1,
            "minWireVersion": 0,
            "maxWireVersion": 13,
            "readOnly": False,
        }
        if primary:
            reply["primary"] = primary
        if args.scenario == "standalone":
            for key in ("hosts", "setName", "setVersion", "secondary", "primary", "me"):
                reply.pop(key, None)
            reply["ismaster"] = reply["isWritablePrimary"] = True
        if "saslSupportedMechs" in request.doc:
            reply["saslSupportedMechs"] = ["SCRAM-SHA-256", "SCRAM-SHA-1"]
        return request.ok(reply)

    def respond(request):
        name = request.command_name or ""
        log(name)
        lowered = name.lower()
        if lowered in ("hello", "ismaster"):
            return hello_reply(request)
        if lowered in ("saslstart", "saslcontinue"):
            return request.command_err(18, "Authentication failed.", codeName="AuthenticationFailed")
        if name == "replSetGetStatus":
            if args.scenario == "standalone":
                return request.command_err(76, "not running with --replSet",
                                           codeName="NoReplicationEnabled")
            if args.scenario == "hang-status":
                return True  # handled: never answered
            return request.reply(status)
        if name == "replSetGetConfig":
            if args.scenario == "hang-config":
                return True  # handled: never answered
            if config is None:
                return request.command_err(
                    13, "not authorized on admin to execute command { replSetGetConfig: 1 }",
                    codeName="Unauthorized")
            return request.reply(config)
        if name == "endSessions":
            return request.ok()
        return request.command_err(59, "no such command: '%s'" % name, codeName="CommandNotFound")

    server = MockupDB(port=None, verbose=False, ssl=args.tls)  # binds 127.0.0.1 (AF_INET localhost)
    server.autoresponds(respond)
    port = server.run()
    print("PORT %d" % port, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
