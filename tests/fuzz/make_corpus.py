#!/usr/bin/env python3
"""make_corpus.py - writes the fuzz seed corpora (tests/fuzz/corpus/*) from hand-encoded protobuf.

Run from the project root: python3 tests/fuzz/make_corpus.py
It only adds or overwrites the seeds it names; regression seeds saved from
fuzzer crashes are left alone.
"""
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def varint(n):
    if n < 0:
        n += 1 << 64  # int64 on the wire: ten bytes, two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3 | 0) + varint(value)


def field_bytes(num, value):
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def request_frame(method=None, request_id=None, deadline=None, payload=None):
    """baton.v1.RequestFrame: method=1, request_id=2, deadline_unix_ms=3, payload=4."""
    out = b""
    if method is not None:
        out += field_bytes(1, method)
    if request_id is not None:
        out += field_bytes(2, request_id)
    if deadline is not None:
        out += field_varint(3, deadline)
    if payload is not None:
        out += field_bytes(4, payload)
    return out


RID = bytes(range(0x10, 0x20))
PING = "/baton.v1.System/Ping"
INFO = "/baton.v1.System/Info"
CHECK = "/baton.v1.Health/Check"
YEAR_2100_MS = 4102444800000

DISPATCH = {
    "ping_empty": request_frame(PING, RID),
    "ping_payload": request_frame(PING, RID, payload=field_bytes(1, b"hello, baton")),
    "ping_binary_payload": request_frame(PING, RID, payload=field_bytes(1, bytes(range(256)))),
    "ping_large_payload": request_frame(PING, RID, payload=field_bytes(1, b"x" * 6000)),
    "ping_no_request_id": request_frame(PING, payload=field_bytes(1, b"abc")),
    "ping_unknown_payload_field": request_frame(PING, RID, payload=field_varint(7, 42)),
    "ping_future_deadline": request_frame(PING, RID, YEAR_2100_MS, field_bytes(1, b"later")),
    "ping_past_deadline": request_frame(PING, RID, 1),
    "ping_negative_deadline": request_frame(PING, RID, -1),
    "ping_payload_truncated": request_frame(PING, RID, payload=b"\x0a\x10abc"),
    "ping_payload_wrong_wiretype": request_frame(PING, RID, payload=field_varint(1, 5)),
    "health_check_server": request_frame(CHECK, RID),
    "health_check_system": request_frame(CHECK, RID, payload=field_bytes(1, "baton.v1.System")),
    "health_check_health": request_frame(CHECK, RID, payload=field_bytes(1, "baton.v1.Health")),
    "health_check_unknown_service": request_frame(CHECK, RID,
        payload=field_bytes(1, "no.such.Service\n\x01")),
    "health_check_payload_wrong_wiretype": request_frame(CHECK, RID,
        payload=field_varint(1, 3)),
    "system_info": request_frame(INFO, RID),
    "system_info_no_request_id": request_frame(INFO),
    "unknown_method": request_frame("/baton.v1.System/Nope", RID),
    "unknown_service": request_frame("/baton.v1.Nope/Ping", RID),
    "unknown_method_unprintable": request_frame("/baton.v1\x01\x7f\t System/Ping\n", RID),
    "unknown_method_long": request_frame("/" + "baton.v1.System" * 20 + "/Ping", RID),
    "method_empty": request_frame("", RID),
    "request_id_5_bytes": request_frame(PING, b"\x01\x02\x03\x04\x05"),
    "request_id_17_bytes": request_frame(PING, bytes(17)),
    "reserved_field_5": request_frame(PING, RID) + field_bytes(5, b"session"),
    "fields_repeated": request_frame(INFO, RID) + request_frame(PING, bytes(16)),
    "empty_frame": b"",
    "garbage_ff": b"\xff" * 12,
    "garbage_truncated_varint": b"\x1a\x80\x80\x80",
    "garbage_length_too_long": b"\x0a\x7f/baton",
    "garbage_text": b"GET / HTTP/1.1\r\nHost: batond\r\n\r\n",
    "garbage_group_wiretype": b"\x0b\x0c",
    # Regressions (UBSan): rpc_dispatch memcpy'd from request_id.data, NULL
    # when the frame has no request_id; and computed now - deadline for a
    # deadline near INT64_MIN, a signed overflow.
    "regression_no_request_id_memcpy_null": request_frame(PING),
    "regression_deadline_int64_min_overflow": request_frame(PING, RID, -(1 << 63)),
}

CONFIG = {
    "empty": b"",
    "help": b"--help",
    "version": b"--version",
    "short_help": b"-h",
    "all_flags": b"\0".join([
        b"--listen=tcp://127.0.0.1:7401", b"--database-url", b"dbname=baton",
        b"--workers=4", b"--max-message-bytes", b"65536", b"--max-call-ms=1000",
        b"--drain-ms=0", b"--db-wait-ms=600000", b"--log-level=debug", b"--log-format=json",
    ]),
    "workers_out_of_range": b"--workers=0",
    "workers_not_a_number": b"--workers= 8",
    "workers_overflow": b"--workers=99999999999999999999999",
    "log_level_bad": b"--log-level=loud",
    "missing_value": b"--listen",
    "unknown_flag": b"--nope=1",
    "ambiguous_prefix": b"--log=info",
    "unique_prefix": b"--work=2",
    "short_cluster": b"-hx",
    "unknown_short_in_cluster": b"-xV",
    "stray_argument": b"--workers=2\0stray",
    "double_dash": b"--\0--workers=2",
    "listen_too_long": b"--listen=" + b"a" * 300,
}


def write(corpus, seeds):
    d = os.path.join(ROOT, corpus)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("dispatch", DISPATCH)
    write("config", CONFIG)
    print(f"{len(DISPATCH)} dispatch seeds, {len(CONFIG)} config seeds under {ROOT}")
