#!/usr/bin/env python3
"""Writes the replica set status documents of examples/mongo-rs/.

The base is the seed's rs.status() (SRE guide, section 2.7: set sre_location,
MongoDB 5.0.26, taken on the secondary 10.0.161.62 whose sync source is
10.0.161.64), with the members the guide elides ("...") filled in the same
shape. The variants change only what their name says. Each document is written
in one or two of the forms an operator can paste into `check_mongo_rs --input`:

  *.shell.txt      the legacy `mongo --eval 'rs.status()'` print form (with its preamble)
  *.mongosh.txt    the `mongosh` print form (unquoted keys, single quotes, Long('1'))
  *.canonical.json Extended JSON v2, canonical
  *.relaxed.json   Extended JSON v2, relaxed

*.config.json files are the matching replSetGetConfig replies (configured
delays, hidden members) that the mock server of tests/mongo_rs_mock.py serves.

Run it from anywhere with pymongo installed: python3 examples/mongo-rs/generate.py
"""

import copy
import datetime as dt
import json
import os

from bson import Binary, Int64, Timestamp, json_util
from bson.json_util import JSONOptions, JSONMode

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = dt.timezone.utc
DATE = dt.datetime(2024, 6, 20, 10, 20, 42, 319000, tzinfo=UTC)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def at(seconds_before_date):
    """A time that many seconds before the status date."""
    return DATE - dt.timedelta(seconds=seconds_before_date)


def whole(t):
    return t.replace(microsecond=0)


def optime(t, term=1):
    return {"ts": Timestamp(int(t.timestamp()), 1), "t": Int64(term)}


def member(_id, host, state, state_str, behind=1.936, heartbeat=1.177, **extra):
    """A remote member as the seed shows them; `behind` = seconds its optime is before DATE."""
    applied = at(behind)
    m = {
        "_id": _id,
        "name": host,
        "health": 1,
        "state": state,
        "stateStr": state_str,
        "uptime": 175121,
        "optime": optime(applied),
        "optimeDurable": optime(applied),
        "optimeDate": whole(applied),
        "optimeDurableDate": whole(applied),
        "lastAppliedWallTime": applied,
        "lastDurableWallTime": applied,
        "lastHeartbeat": at(heartbeat),
        "lastHeartbeatRecv": at(heartbeat + 0.79),
        "pingMs": Int64(0),
        "lastHeartbeatMessage": "",
        "syncSourceHost": "10.0.161.60:27017",
        "syncSourceId": 0,
        "infoMessage": "",
        "configVersion": 1,
        "configTerm": 1,
    }
    m.update(extra)
    return m


def primary(_id=0, host="10.0.161.60:27017", behind=1.936, **extra):
    m = member(_id, host, 1, "PRIMARY", behind=behind, syncSourceHost="", syncSourceId=-1, **extra)
    m["electionTime"] = Timestamp(1712329875, 1)
    m["electionDate"] = dt.datetime(2024, 4, 5, 15, 11, 15, tzinfo=UTC)
    return m


def self_secondary(_id=1, host="10.0.161.62:27017", behind=1.936):
    applied = at(behind)
    return {
        "_id": _id,
        "name": host,
        "health": 1,
        "state": 2,
        "stateStr": "SECONDARY",
        "uptime": 175124,
        "optime": optime(applied),
        "optimeDate": whole(applied),
        "lastAppliedWallTime": applied,
        "lastDurableWallTime": applied,
        "syncSourceHost": "10.0.161.64:27017",
        "syncSourceId": 3,
        "infoMessage": "",
        "configVersion": 1,
        "configTerm": 1,
        "self": True,
        "lastHeartbeatMessage": "",
    }


def status(members, my_state=2, sync_source="10.0.161.64:27017", sync_id=3):
    applied = at(1.936)
    op = optime(applied)
    return {
        "set": "sre_location",
        "date": DATE,
        "myState": my_state,
        "term": Int64(1),
        "syncSourceHost": sync_source,
        "syncSourceId": sync_id,
        "heartbeatIntervalMillis": Int64(2000),
        "majorityVoteCount": 3,
        "writeMajorityCount": 3,
        "votingMembersCount": len(members),
        "writableVotingMembersCount": len(members),
        "optimes": {
            "lastCommittedOpTime": op,
            "lastCommittedWallTime": applied,
            "readConcernMajorityOpTime": op,
            "appliedOpTime": op,
            "durableOpTime": op,
            "lastAppliedWallTime": applied,
            "lastDurableWallTime": applied,
        },
        "lastStableRecoveryTimestamp": Timestamp(int(at(12).timestamp()), 1),
        "members": members,
        "ok": 1,
        "$clusterTime": {
            "clusterTime": op["ts"],
            "signature": {"hash": Binary(b"\0" * 20, 0), "keyId": Int64(0)},
        },
        "operationTime": op["ts"],
    }


def seed_members():
    return [
        primary(),
        self_secondary(),
        member(2, "10.0.161.63:27017", 2, "SECONDARY"),
        member(3, "10.0.161.64:27017", 2, "SECONDARY"),
    ]


def config(members, delays=None, hidden=()):
    delays = delays or {}
    out = []
    for m in members:
        host = m["name"]
        entry = {
            "_id": m["_id"],
            "host": host,
            "arbiterOnly": m["stateStr"] == "ARBITER",
            "buildIndexes": True,
            "hidden": host in hidden,
            "priority": 0 if (host in hidden or host in delays) else 1,
            "tags": {},
            "secondaryDelaySecs": Int64(delays.get(host, 0)),
            "votes": 1,
        }
        out.append(entry)
    return {
        "config": {
            "_id": "sre_location",
            "version": 1,
            "term": 1,
            "members": out,
            "protocolVersion": Int64(1),
            "writeConcernMajorityJournalDefault": True,
            "settings": {"heartbeatIntervalMillis": 2000, "electionTimeoutMillis": 10000},
        },
        "ok": 1,
    }


# ---------------------------------------------------------------------------
# The shells' print forms.

def shell_value(v, indent, mongosh):
    pad = ("  " if mongosh else "\t") * indent
    inner = ("  " if mongosh else "\t") * (indent + 1)
    q = "'" if mongosh else '"'
    if isinstance(v, dict):
        if not v:
            return "{ }" if not mongosh else "{}"
        items = []
        for k, x in v.items():
            key = k if (mongosh and k.replace("_", "a").replace("$", "a").isalnum() and not k[0].isdigit()) else f'"{k}"'
            sep = ": " if mongosh else " : "
            items.append(f"{inner}{key}{sep}{shell_value(x, indent + 1, mongosh)}")
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[ ]" if not mongosh else "[]"
        return "[\n" + ",\n".join(inner + shell_value(x, indent + 1, mongosh) for x in v) + "\n" + pad + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        text = v.strftime("%Y-%m-%dT%H:%M:%S")
        if v.microsecond:
            text += ".%03dZ" % (v.microsecond // 1000)
        else:
            text += "Z"
        return f"ISODate({q}{text}{q})"
    if isinstance(v, Timestamp):
        return f"Timestamp({{ t: {v.time}, i: {v.inc} }})" if mongosh else f"Timestamp({v.time}, {v.inc})"
    if isinstance(v, Int64):
        return f"Long({q}{int(v)}{q})" if mongosh else f"NumberLong({int(v)})"
    if isinstance(v, Binary):
        import base64
        b64 = base64.b64encode(bytes(v)).decode()
        return f"Binary.createFromBase64('{b64}', {v.subtype})" if mongosh else f'BinData({v.subtype},"{b64}")'
    if isinstance(v, str):
        return q + v.replace("\\", "\\\\").replace(q, "\\" + q) + q
    if isinstance(v, (int, float)):
        return repr(v)
    raise TypeError(type(v))


LEGACY_PREAMBLE = """MongoDB shell version v5.0.26
connecting to: mongodb://127.0.0.1:27017/?compressors=disabled&gssapiServiceName=mongodb
Implicit session: session { "id" : UUID("59806e01-1811-4d4d-988e-3b696e683316") }
MongoDB server version: 5.0.26
"""


def write(name, doc, forms):
    for form in forms:
        path = os.path.join(HERE, f"{name}.{form}")
        with open(path, "w") as f:
            if form == "shell.txt":
                f.write(LEGACY_PREAMBLE + shell_value(doc, 0, False) + "\n")
            elif form == "mongosh.txt":
                f.write(shell_value(doc, 0, True) + "\n")
            elif form == "canonical.json":
                f.write(json_util.dumps(doc, json_options=JSONOptions(json_mode=JSONMode.CANONICAL, tz_aware=True, tzinfo=UTC), indent=2) + "\n")
            elif form == "relaxed.json":
                f.write(json_util.dumps(doc, json_options=JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC), indent=2) + "\n")
            else:
                raise ValueError(form)


def main():
    # The seed: one PRIMARY, three SECONDARY, all fresh (healthy).
    seed = status(seed_members())
    write("seed", seed, ["shell.txt", "mongosh.txt", "canonical.json", "relaxed.json"])
    with open(os.path.join(HERE, "seed.config.json"), "w") as f:
        f.write(json_util.dumps(config(seed_members()), indent=2) + "\n")

    # An election in progress: the old primary is gone, nobody is PRIMARY yet.
    ms = seed_members()
    ms[0] = member(0, "10.0.161.60:27017", 8, "(not reachable/healthy)", behind=9.936, heartbeat=1.1,
                   health=0, uptime=0, lastHeartbeatMessage="Error connecting to 10.0.161.60:27017 :: caused by :: Connection refused")
    ms[0]["optime"] = {"ts": Timestamp(0, 0), "t": Int64(-1)}
    ms[0]["optimeDate"] = EPOCH
    ms[0]["lastHeartbeatRecv"] = at(9.5)
    ms[0]["syncSourceHost"], ms[0]["syncSourceId"] = "", -1
    for m in ms[2:]:
        m["syncSourceHost"], m["syncSourceId"] = "", -1
    write("election", status(ms, sync_source="", sync_id=-1), ["mongosh.txt", "relaxed.json"])

    # Two members both believe they are PRIMARY (a stale view after a partition).
    ms = seed_members()
    ms[3] = primary(3, "10.0.161.64:27017", behind=0.936)
    write("two-primaries", status(ms), ["relaxed.json", "shell.txt"])

    # A member RECOVERING (too stale, or maintenance mode).
    ms = seed_members()
    ms[2] = member(2, "10.0.161.63:27017", 3, "RECOVERING", behind=4000.0,
                   infoMessage="", lastHeartbeatMessage="")
    write("recovering", status(ms), ["shell.txt", "canonical.json"])

    # A member DOWN: health 0, heartbeats failing.
    ms = seed_members()
    down = member(3, "10.0.161.64:27017", 8, "(not reachable/healthy)", heartbeat=0.5, health=0, uptime=0,
                  lastHeartbeatMessage="Couldn't get a connection within the time limit")
    down["optime"] = {"ts": Timestamp(0, 0), "t": Int64(-1)}
    down["optimeDate"] = EPOCH
    down["optimeDurableDate"] = EPOCH
    down["lastAppliedWallTime"] = EPOCH
    down["lastDurableWallTime"] = EPOCH
    down["lastHeartbeatRecv"] = at(3600)
    down["syncSourceHost"], down["syncSourceId"] = "", -1
    ms[3] = down
    ms[1]["syncSourceHost"], ms[1]["syncSourceId"] = "10.0.161.60:27017", 0
    write("down", status(ms, sync_source="10.0.161.60:27017", sync_id=0), ["shell.txt", "relaxed.json"])

    # Two data-bearing members and an arbiter (a common small set).
    ms = [primary(), self_secondary()]
    ms[1]["syncSourceHost"], ms[1]["syncSourceId"] = "10.0.161.60:27017", 0
    arbiter = member(2, "10.0.161.65:27017", 7, "ARBITER", syncSourceHost="", syncSourceId=-1)
    for k in ["optime", "optimeDurable", "optimeDate", "optimeDurableDate", "lastAppliedWallTime", "lastDurableWallTime"]:
        del arbiter[k]
    ms.append(arbiter)
    write("arbiter", status(ms, sync_source="10.0.161.60:27017", sync_id=0), ["relaxed.json", "mongosh.txt"])

    # A hidden member delayed by one hour (a rolling backup): 3600 s behind by design.
    ms = seed_members()
    ms[2] = member(2, "10.0.161.63:27017", 2, "SECONDARY", behind=3601.936)
    write("delayed", status(ms), ["relaxed.json", "shell.txt"])
    with open(os.path.join(HERE, "delayed.config.json"), "w") as f:
        f.write(json_util.dumps(config(ms, delays={"10.0.161.63:27017": 3600}, hidden={"10.0.161.63:27017"}), indent=2) + "\n")

    # A secondary 95 s behind the primary.
    ms = seed_members()
    ms[3] = member(3, "10.0.161.64:27017", 2, "SECONDARY", behind=96.936)
    write("lagging", status(ms), ["canonical.json", "shell.txt"])

    # A member whose last heartbeat answer is 40 s old.
    ms = seed_members()
    ms[2]["lastHeartbeat"] = at(40.2)
    ms[2]["lastHeartbeatRecv"] = at(39.1)
    write("stale-heartbeat", status(ms), ["relaxed.json", "mongosh.txt"])

    # A new member in initial sync (STARTUP2).
    ms = seed_members()
    ms.append(member(4, "10.0.161.66:27017", 5, "STARTUP2", behind=86400.0,
                     infoMessage="", lastHeartbeatMessage=""))
    write("startup2", status(ms), ["mongosh.txt", "relaxed.json"])

    # The server's answer when the set was never initiated (rs.initiate() not run).
    not_initialised = {"ok": 0, "errmsg": "no replset config has been received", "code": 94,
                       "codeName": "NotYetInitialized"}
    write("not-initialised", not_initialised, ["relaxed.json"])


if __name__ == "__main__":
    main()
