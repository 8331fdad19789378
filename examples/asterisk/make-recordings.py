#!/usr/bin/env python3
"""Writes the recorded Asterisk CLI outputs of examples/asterisk/ (except the
guide's own 1.4/sip-show-peers-like-SDO.txt) from the column layouts of
Asterisk's CLI handlers: chan_sip's `sip show peers` (1.4.44 and 13.38:
field widths and the summary line), res_pjsip's `pjsip show contacts` /
`pjsip show endpoints` (20.x: indents, filler, `Objects found:`), main/cli.c's
`core show channels` summary lines and app_queue's `queue show` (1.4, 13, 20).
Run from anywhere: python3 examples/asterisk/make-recordings.py"""
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def cut(s, n):
    """printf %-N.Ns"""
    return f"{s[:n]:<{n}}"


def write(path, text):
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


# --- chan_sip, Asterisk 1.4.44: "%-25.25s  %-15.15s %-3.3s %-3.3s %-3.3s %-8d %-10s %-10s"
def sip14(rows, realtime=False):
    out = [f"{cut('Name/username', 25)}  {cut('Host', 15)} {cut('Dyn', 3)} {cut('Nat', 3)} {cut('ACL', 3)} {'Port':<8} {'Status':<10} {'':<10}".rstrip() + "\n"]
    for name, host, port, status, mon in rows:
        out.append(f"{cut(name, 25)}  {cut(host, 15)} {' D '} {'   '} {'   '} {port:<8d} {status:<10} {'':<10}\n")
    return out


def summary_monitored(rows):
    mon_on = sum(1 for r in rows if r[4] and (r[3].startswith("OK") or r[3].startswith("LAGGED")))
    mon_off = sum(1 for r in rows if r[4]) - mon_on
    unmon_on = sum(1 for r in rows if not r[4] and r[1] != "(Unspecified)" and r[2] != 0)
    unmon_off = sum(1 for r in rows if not r[4]) - unmon_on
    return f"{len(rows)} sip peers [Monitored: {mon_on} online, {mon_off} offline Unmonitored: {unmon_on} online, {unmon_off} offline]\n"


# --- chan_sip, Asterisk 13.38: "%-25.25s %-39.39s %-3.3s %-10.10s %-10.10s %-3.3s %-8s %-11s %-32.32s %s"
def sip13_line(name, host, dyn, forcerport, comedia, acl, port, status, desc, rt=""):
    return f"{cut(name, 25)} {cut(host, 39)} {cut(dyn, 3)} {cut(forcerport, 10)} {cut(comedia, 10)} {cut(acl, 3)} {port:<8} {status:<11} {cut(desc, 32)} {rt}\n"


def sip13(rows):
    out = [sip13_line("Name/username", "Host", "Dyn", "Forcerport", "Comedia", "ACL", "Port", "Status", "Description")]
    for name, host, port, status, mon, desc in rows:
        out.append(sip13_line(name, host, " D ", "Auto (No)", "Auto (No)", "   ", str(port), status, desc))
    return out


sdo = [(f"SDO{20000 + i}/SDO{20000 + i}", f"10.113.105.{150 + i}", 2048, f"OK ({30 + i} ms)", True) for i in range(1, 7)]
rows14 = sdo + [
    ("SDO20007/SDO20007", "10.113.105.157", 2048, "LAGGED (2315 ms)", True),
    ("SDO20008/SDO20008", "10.113.105.158", 2048, "UNREACHABLE", True),
    ("SDO20009/SDO20009", "(Unspecified)", 0, "UNKNOWN", True),
]
write("failures/sip-show-peers-like-SDO-lagged.txt", "".join(sip14(rows14)) + summary_monitored(rows14))
npa_ok = [("NPA10001/NPA10001", "172.16.35.137", 5060, "OK (4 ms)", True)]
write("1.4/sip-show-peers-like-NPA.txt", "".join(sip14(npa_ok)) + summary_monitored(npa_ok))
npa_down = [("NPA10001/NPA10001", "172.16.35.137", 5060, "UNREACHABLE", True)]
write("failures/sip-show-peers-like-NPA-unreachable.txt", "".join(sip14(npa_down)) + summary_monitored(npa_down))

rows13 = [
    ("NPA10001/NPA10001", "172.16.35.137", 5060, "OK (3 ms)", True, "net.Console availability probe"),
    ("SDO20001/SDO20001", "10.113.105.151", 2048, "OK (38 ms)", True, "reception 1"),
    ("SDO20002/SDO20002", "10.113.105.152", 2048, "OK (41 ms)", True, "reception 2"),
    ("SDO20003/SDO20003", "(Unspecified)", 0, "UNKNOWN", True, "spare phone"),
    ("SOA20003/SOA20003", "10.126.201.4", 5060, "Unmonitored", False, "gateway trunk"),
]
write("13/sip-show-peers.txt", "".join(sip13([(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows13])) + summary_monitored(rows13))
write("failures/sip-show-peers-empty.txt", "".join(sip13([])) + summary_monitored([]))
garbled = "".join(sip13([(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows13]))
garbled = garbled.replace(sip13_line("SDO20002/SDO20002", "10.113.105.152", " D ", "Auto (No)", "Auto (No)", "   ", "2048", "OK (41 ms)", "reception 2"),
                          "SDO20002/SDO20002         10.113.105.1\x07\x07 <cut by a lost packet>\n")
write("failures/sip-show-peers-garbled.txt", garbled + summary_monitored(rows13))

# --- res_pjsip, Asterisk 20: CLI_LAST_TABSTOP 62, indent(level) = level*2 + 1 + 8
RULE = "=" * 90 + "\n\n"


def indent(level):
    return level * 2 + 1 + 8


def contact_header(level):
    i = indent(level)
    filler = 62 - i - 23
    return f"{'Contact':>{i}}:  <Aor/ContactUri{'.' * filler}> <Hash....> <Status> <RTT(ms)..>\n"


def contact_row(level, aor, uri, hash_, status, rtt):
    i = indent(level)
    flex = 62 - i - 9 - len(aor) + 1
    rtt_s = f"{rtt:11.3f}" if not math.isnan(rtt) else f"{'nan':>11}"
    return f"{'Contact':>{i}}:  {aor}/{cut(uri, flex)} {cut(hash_, 10)} {cut(status, 7)} {rtt_s}\n"


contacts = [
    ("SDO20001", "sip:SDO20001@10.113.105.151:5060", "4e1f2a9c1b", "Avail", 38.112),
    ("SDO20002", "sip:SDO20002@10.113.105.152:5060", "8c03b7d21e", "Avail", 41.907),
    ("SDO20004", "sip:SDO20004@10.113.105.154:5060", "77b2c0e4a1", "NonQual", math.nan),
]
write("20/pjsip-show-contacts.txt", "\n" + contact_header(0) + RULE
      + "".join(contact_row(0, *c) for c in contacts) + f"\nObjects found: {len(contacts)}\n")
contacts.insert(2, ("SDO20003", "sip:SDO20003@10.113.105.153:5060", "0a9d6e3f55", "Unavail", math.nan))
write("failures/pjsip-show-contacts-unavail.txt", "\n" + contact_header(0) + RULE
      + "".join(contact_row(0, *c) for c in contacts) + f"\nObjects found: {len(contacts)}\n")
write("failures/pjsip-show-contacts-empty.txt", "\n" + contact_header(0) + RULE + "No objects found.\n\n")


def endpoint_row(name, state, channels):
    i = indent(0)
    flex = 62 - i - 2
    return f"{'Endpoint':>{i}}:  {cut(name, flex)}  {cut(state, 12)}  {channels} of inf\n"


def aor_row(level, name, max_contacts):
    i = indent(level)
    flex = 62 - i - 12
    return f"{'Aor':>{i}}:  {cut(name, flex)} {max_contacts:>12}\n"


endpoints = ("\n Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n"
             f"{'I/OAuth':>{indent(1)}}:  <AuthId/UserName{'.' * 45}>\n"
             f"{'Aor':>{indent(1)}}:  <Aor{'.' * 44}>  <MaxContact>\n"
             + contact_header(2)
             + f"{'Transport':>{indent(1)}}:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress{'.' * 20}>\n"
             + f"{'Identify':>{indent(1)}}:  <Identify/Endpoint{'.' * 44}>\n"
             + f"{'Match':>{indent(2)}}:  <criteria{'.' * 23}>\n"
             + f"{'Channel':>{indent(1)}}:  <ChannelId{'.' * 33}>  <State.....>  <Time.....>\n"
             + RULE)
endpoints += endpoint_row("NPA10001", "Not in use", 0)
endpoints += aor_row(1, "NPA10001", 1)
endpoints += contact_row(2, "NPA10001", "sip:NPA10001@172.16.35.137:5060", "c2d9e0f1a3", "Avail", 3.874)
endpoints += "\n"
endpoints += endpoint_row("SDO20001/20001", "In use", 1)
endpoints += aor_row(1, "SDO20001", 1)
endpoints += contact_row(2, "SDO20001", "sip:SDO20001@10.113.105.151:5060", "4e1f2a9c1b", "Avail", 38.112)
endpoints += "\n"
endpoints += endpoint_row("SDO20009", "Unavailable", 0)
endpoints += aor_row(1, "SDO20009", 1)
endpoints += "\nObjects found: 3\n"
write("20/pjsip-show-endpoints.txt", endpoints)
write("failures/no-chan_sip.txt", "No such command 'sip show peers' (type 'core show help sip show' for other possible commands)\n")
write("failures/not-running.txt", "Unable to connect to remote asterisk (does /var/run/asterisk/asterisk.ctl exist?)\n")

# --- core show channels: "%-20.20s %-20.20s %-7.7s %-30.30s" and the summary lines.


def chan_line(a, b, c, d):
    return f"{cut(a, 20)} {cut(b, 20)} {cut(c, 7)} {cut(d, 30)}\n"


head = chan_line("Channel", "Location", "State", "Application(Data)")
ch14 = head + chan_line("SIP/SOA20003-b770e64", "*110120203@NoRestric", "Up", "Queue(GeneralQueue|rt|||600)") \
    + chan_line("SIP/SDO10003-08202b3", "(None)", "Up", "AppQueue((Outgoing Line))") \
    + "2 active channels\n1 active call\n"
write("1.4/core-show-channels.txt", ch14)
ch13 = head + chan_line("SIP/SOA20003-0000001", "*110120203@NoRestric", "Up", "Queue(GeneralQueue,rt,,,600)") \
    + chan_line("SIP/SDO10003-0000001", "s@macro-dial:7", "Up", "AppQueue((Outgoing Line))") \
    + chan_line("SIP/SDO20002-0000001", "91313@internal:3", "Ring", "Dial(SIP/SDO20005,30)") \
    + "3 active channels\n1 active call\n5301 calls processed\n"
write("13/core-show-channels.txt", ch13)
ch20 = head + chan_line("PJSIP/SOA20003-00000", "*110120203@NoRestric", "Up", "Queue(GeneralQueue,rt,,,600)") \
    + chan_line("PJSIP/SDO10003-00000", "s@macro-dial:7", "Up", "AppQueue((Outgoing Line))") \
    + "2 active channels\n1 active call\n12877 calls processed\n"
write("20/core-show-channels.txt", ch20)
write("20/core-show-channels-idle.txt", head + "0 active channels\n0 active calls\n12877 calls processed\n")
write("failures/core-show-channels-inconsistent.txt", head
      + chan_line("PJSIP/SOA20003-00000", "*110120203@NoRestric", "Up", "Queue(GeneralQueue,rt,,,600)")
      + "1 active channel\n3 active calls\n12880 calls processed\n")

# --- queue show


def q14(name, calls, strategy, hold, c, a, sl, within):
    return f"{cut(name, 12)} has {calls} calls (max unlimited) in '{strategy}' strategy ({hold}s holdtime), W:0, C:{c}, A:{a}, SL:{sl:2.1f}% within {within}s\n"


write("1.4/queue-show.txt",
      q14("GeneralQueue", 0, "rrmemory", 0, 0, 0, 0.0, 0)
      + "   Members: \n      SIP/SDO10003 (dynamic) (Not in use) has taken no calls yet\n   No Callers\n\n"
      + q14("RcptQueue4", 0, "ringall", 0, 0, 0, 0.0, 0)
      + "   Members: \n      SIP/SDO10003 (dynamic) (Not in use) has taken no calls yet\n   No Callers\n\n")
write("1.4/queue-show-recovery-paused.txt",
      q14("GeneralQueue", 0, "rrmemory", 0, 0, 0, 0.0, 0)
      + "   Members: \n      SIP/SDO10003 (dynamic) (paused) (Not in use) has taken no calls yet\n   No Callers\n\n"
      + q14("RcptQueue4", 0, "ringall", 0, 0, 0, 0.0, 0)
      + "   Members: \n      SIP/SDO10003 (dynamic) (paused) (Not in use) has taken no calls yet\n   No Callers\n\n")


def q13(name, calls, strategy, hold, talk, c, a, sl, within, sl2=None):
    s = f"{name} has {calls} calls (max unlimited) in '{strategy}' strategy ({hold}s holdtime, {talk}s talktime), W:0, C:{c}, A:{a}, SL:{sl:2.1f}%"
    if sl2 is not None:
        s += f", SL2:{sl2:2.1f}%"
    return s + f" within {within}s\n"


write("13/queue-show.txt",
      q13("GeneralQueue", 1, "rrmemory", 14, 95, 212, 9, 88.2, 20)
      + "   Members: \n"
      + "      Reception 1 (SIP/SDO10003) (ringinuse disabled) (dynamic) (In use) has taken 140 calls (last was 35 secs ago)\n"
      + "      Reception 2 (SIP/SDO10004) (ringinuse disabled) (dynamic) (Not in use) has taken 72 calls (last was 310 secs ago)\n"
      + "   Callers: \n      1. SIP/SOA20003-00000021 (wait: 0:09, prio: 0)\n\n"
      + q13("PersonalQueue10003", 0, "ringall", 0, 0, 0, 0, 0.0, 0)
      + "   Members: \n      SIP/SDO10003 (ringinuse disabled) (dynamic) (In use) has taken no calls yet\n   No Callers\n\n")
write("20/queue-show.txt",
      q13("GeneralQueue", 0, "rrmemory", 11, 102, 1830, 41, 91.3, 20, 93.4)
      + "   Members: \n"
      + "      Reception 1 (PJSIP/SDO10003 from hint:10003@internal) (ringinuse disabled) (dynamic) (Not in use) has taken 1022 calls (last was 64 secs ago) (login was 28800 secs ago)\n"
      + "      Reception 2 (PJSIP/SDO10004 from hint:10004@internal) (ringinuse disabled) (dynamic) (paused:lunch was 1210 secs ago) (Not in use) has taken 808 calls (last was 1300 secs ago) (login was 28790 secs ago)\n"
      + "   No Callers\n\n"
      + q13("PersonalQueue10003", 0, "ringall", 0, 0, 0, 0, 0.0, 0, 0.0)
      + "   Members: \n      PJSIP/SDO10003 (ringinuse disabled) (dynamic) (Not in use) has taken no calls yet (login was 28800 secs ago)\n   No Callers\n\n")
write("failures/queue-show-nobody-available.txt",
      q13("GeneralQueue", 2, "rrmemory", 48, 102, 1830, 41, 80.1, 20, 85.0)
      + "   Members: \n"
      + "      Reception 1 (PJSIP/SDO10003) (ringinuse disabled) (dynamic) (paused was 600 secs ago) (Not in use) has taken 1022 calls (last was 640 secs ago) (login was 28800 secs ago)\n"
      + "      Reception 2 (PJSIP/SDO10004) (ringinuse disabled) (dynamic) (Unavailable) has taken 808 calls (last was 1300 secs ago) (login was 28790 secs ago)\n"
      + "   Callers: \n      1. PJSIP/SOA20003-00000a1f (wait: 1:12, prio: 0)\n      2. PJSIP/SOA20003-00000a21 (wait: 0:31, prio: 0)\n\n")
write("20/queue-show-none.txt", "No queues.\n")
